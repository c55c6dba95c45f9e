import { Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import { DEFAULT_ASSISTANT_MODEL_ID } from '@imagegen/contracts';

import { cognitoDomainPrefixOf, ImagegenConfig } from '../config';
import { GENERATOR_STAGE, GeneratorApi } from '../constructs/generator-api';
import { Monitoring } from '../constructs/monitoring';
import { Network } from '../constructs/network';
import { Waf } from '../constructs/waf';
import { WebService } from '../constructs/web-service';
import { STATEFUL_EXPORTS } from './stateful-stack';

export interface AppStackProps extends StackProps {
  readonly config: ImagegenConfig;
}

/** Everything stateless: network, generator, web services, WAF. Safe to replace. */
export class AppStack extends Stack {
  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { config } = props;
    const bucket = s3.Bucket.fromBucketAttributes(this, 'Images', {
      bucketArn: Fn.importValue(STATEFUL_EXPORTS.bucketArn),
      bucketName: Fn.importValue(STATEFUL_EXPORTS.bucketName),
    });
    const table = dynamodb.Table.fromTableArn(this, 'Generations', Fn.importValue(STATEFUL_EXPORTS.tableArn));
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const network = new Network(this, 'Network', {
      maxAzs: config.maxAzs,
      natGateways: config.natGateways,
      logRetention,
    });
    // Made first: the generator API's resource policy admits this role alone, and the BFF task runs as it.
    const bffTaskRole = new iam.Role(this, 'BffTaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'imagegen BFF task: the one principal the generator API admits',
    });
    const generator = new GeneratorApi(this, 'Generator', {
      invoker: bffTaskRole,
      vpc: network.vpc,
      bucket,
      bucketArnExport: STATEFUL_EXPORTS.bucketArn,
      table,
      bedrockRegion: config.bedrockRegion,
      bedrockConcurrency: config.bedrockConcurrency,
      workerReservedConcurrency: config.workerReservedConcurrency,
      presignExpirySeconds: config.presignExpirySeconds,
      retentionDays: config.retentionDays,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      logRetention,
      budgets: {
        deploymentMonthlyUsd: config.budgetMonthlyUsd,
        ownerDailyUsd: config.budgetOwnerDailyUsd,
        ownerMonthlyUsd: config.budgetOwnerMonthlyUsd,
        ownerImagesInFlight: config.maxImagesInFlightPerOwner,
      },
    });
    const web = new WebService(this, 'Web', {
      vpc: network.vpc,
      api: generator.api,
      stage: GENERATOR_STAGE,
      minTasks: config.minTasks,
      maxTasks: config.maxTasks,
      ...(config.domainName ? { domainName: config.domainName, hostedZoneName: config.hostedZoneName } : {}),
      cognito: config.cognito,
      ...(config.cognito ? { cognitoDomainPrefix: cognitoDomainPrefixOf(config) } : {}),
      bffTaskRole,
      assistant: { textModelId: DEFAULT_ASSISTANT_MODEL_ID, bedrockRegion: config.bedrockRegion },
      logRetention,
      bffRateLimits: {
        ipPerMinute: config.rateLimitIpPerMinute,
        ownerPerMinute: config.rateLimitOwnerPerMinute,
        createPerMinute: config.rateLimitCreatePerMinute,
        createPerIpPerMinute: config.rateLimitCreatePerIpPerMinute,
      },
      rateLimitTable: table,
    });
    new Waf(this, 'Waf', {
      resourceArn: web.loadBalancer.loadBalancerArn,
      rateLimit: config.wafRateLimit,
      behindCloudFront: web.edge !== undefined,
    });
    new Monitoring(this, 'Monitoring', {
      worker: generator.worker,
      workerQueue: generator.queue,
      apiFunction: generator.apiFunction,
      // The dead-letter queue's consumer (ADR 0011): each invocation is an image given up on.
      abandoned: generator.node.tryFindChild('Abandoned') as lambda.IFunction | undefined,
      loadBalancer: web.loadBalancer,
      targetGroups: { Bff: web.bffTargets, Web: web.webTargets },
      services: { Bff: web.bffService, Web: web.webService },
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      spendUsdPerDay: config.alarmSpendUsdPerDay,
      monthlyBudgetUsd: config.budgetMonthlyUsd,
      spendSharePercent: config.alarmSpendSharePercent,
      errorRatePercent: config.alarmErrorRatePercent,
      queueAgeSeconds: config.alarmQueueAgeSeconds,
    });
  }
}
