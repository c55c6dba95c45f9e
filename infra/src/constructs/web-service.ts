import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as elbActions from 'aws-cdk-lib/aws-elasticloadbalancingv2-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { findTextModel, textModelResourceArns } from '@imagegen/contracts';

import { repoRoot } from '../repo-root';
import { Edge, ORIGIN_VERIFY_HEADER } from './edge';

export interface WebServiceProps {
  readonly vpc: ec2.IVpc;
  readonly api: apigw.RestApi;
  readonly stage: string;
  readonly minTasks: number;
  readonly maxTasks: number;
  /**
   * With `hostedZoneName`: HTTPS on this name with an ACM certificate and a Route 53 alias. Without:
   * HTTPS on CloudFront's default domain, the load balancer reachable from CloudFront only (Edge).
   */
  readonly domainName?: string;
  readonly hostedZoneName?: string;
  readonly cognito: boolean;
  /** The Cognito sign-in domain's prefix (unique per account and region: see cognitoDomainPrefixOf). */
  readonly cognitoDomainPrefix?: string;
  readonly logRetention: logs.RetentionDays;
  /** The BFF's own rate limits (429 RATE_LIMITED with Retry-After), per minute. */
  readonly bffRateLimits: BffRateLimits;
  /** The BFF task role, made before the generator API (whose resource policy admits it alone). */
  readonly bffTaskRole: iam.IRole;
  /** The prompt assistant: the BFF calls ConverseStream on this catalog text model in this Region (ADR 0014). */
  readonly assistant?: { readonly textModelId: string; readonly bedrockRegion: string };
  /** The deployment's table: the BFF's rate-limit counters live there, shared by every task (ADR 0015). */
  readonly rateLimitTable: dynamodb.ITable;
}

export interface BffRateLimits {
  /** API requests from one client address per minute (the BFF's RATE_LIMIT_PER_IP). */
  readonly ipPerMinute: number;
  /** API requests from one owner per minute (RATE_LIMIT_PER_OWNER). */
  readonly ownerPerMinute: number;
  /** Jobs one owner may create per minute (RATE_LIMIT_JOBS_PER_OWNER). */
  readonly createPerMinute: number;
  /** Jobs one client address may create per minute (RATE_LIMIT_JOBS_PER_IP). */
  readonly createPerIpPerMinute: number;
}

/** The partition prefix of the BFF's rate-limit counters (libs/bff/util-http DynamoRateLimitStorage). */
export const RATE_LIMIT_PARTITION_PREFIX = 'ratelimit|';

/**
 * The BFF container's plain settings (names and checks: apps/bff/src/app/bff-config.ts). New BFF
 * settings go here, from ImagegenConfig; secrets go in `secrets`, never here.
 */
function bffEnvironment(
  props: WebServiceProps,
  apiUrl: string,
  region: string,
  publicOrigin: string | undefined,
): Record<string, string> {
  return {
    PORT: '3333',
    HOST: '0.0.0.0',
    GENERATOR_API_URL: apiUrl,
    GENERATOR_API_REGION: region,
    LOG_LEVEL: 'info',
    ...(publicOrigin ? { PUBLIC_ORIGIN: publicOrigin } : {}),
    // The limits below count per window: one minute, whatever the BFF's own default.
    RATE_LIMIT_WINDOW_SECONDS: '60',
    RATE_LIMIT_PER_IP: String(props.bffRateLimits.ipPerMinute),
    RATE_LIMIT_PER_OWNER: String(props.bffRateLimits.ownerPerMinute),
    RATE_LIMIT_JOBS_PER_OWNER: String(props.bffRateLimits.createPerMinute),
    ...(props.assistant
      ? {
          ASSISTANT_MODEL_ID: props.assistant.textModelId,
          ASSISTANT_BEDROCK_REGION: props.assistant.bedrockRegion,
        }
      : {}),
    RATE_LIMIT_JOBS_PER_IP: String(props.bffRateLimits.createPerIpPerMinute),
    RATE_LIMIT_TABLE: props.rateLimitTable.tableName,
  };
}

/**
 * The tasks' CPU, and the platform their images are built for: the same, whatever the deploying
 * machine's CPU (an arm64 laptop would otherwise build arm64 images for X86_64 tasks).
 */
export const TASK_PLATFORM = {
  cpuArchitecture: ecs.CpuArchitecture.X86_64,
  imagePlatform: ecrAssets.Platform.LINUX_AMD64,
} as const;

/** Build contexts: the repo root, without what the images do not need. */
const ASSET_EXCLUDES = [
  'node_modules',
  '**/node_modules',
  'dist',
  'tmp',
  '.git',
  '.nx',
  '.angular',
  'coverage',
  'test-output',
  '.local-cloud',
  'infra/cdk.out',
  'cdk.out',
];

/** Longest request (a generation POST, ~25 s) plus a margin; SSE streams end on SIGTERM. */
const DRAIN = Duration.seconds(60);

/**
 * The public face: an internet-facing ALB (HTTPS when a domain is given) routing `/api/*` to the
 * BFF and the rest to nginx with the Angular build, two Fargate services in private subnets.
 */
export class WebService extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly url: string;
  /** The CloudFront front, when no domain is set. */
  readonly edge?: Edge;
  readonly cluster: ecs.Cluster;
  readonly bffService: ecs.FargateService;
  readonly webService: ecs.FargateService;
  readonly bffTargets: elbv2.ApplicationTargetGroup;
  readonly webTargets: elbv2.ApplicationTargetGroup;
  readonly logGroup: logs.LogGroup;
  private readonly cognitoDomainPrefix: string;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    if (props.cognito && !props.cognitoDomainPrefix)
      throw new Error('cognito needs cognitoDomainPrefix (unique per account and region)');
    this.cognitoDomainPrefix = props.cognitoDomainPrefix ?? '';
    const root = repoRoot();
    const cluster = (this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    }));

    const https = props.domainName !== undefined && props.hostedZoneName !== undefined;
    this.url = https ? `https://${props.domainName}` : '';

    const cookieSecret = new secretsmanager.Secret(this, 'CookieSecret', {
      description: 'Signs the anonymous owner cookie of the imagegen BFF',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(cookieSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the cookie-signing key would sign every anonymous owner out of their gallery; rotate by hand when needed.',
    });

    const logGroup = (this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    }));

    const bffTask = new ecs.FargateTaskDefinition(this, 'BffTask', {
      taskRole: props.bffTaskRole,
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: {
        cpuArchitecture: TASK_PLATFORM.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const bffContainer = bffTask.addContainer('bff', {
      image: ecs.ContainerImage.fromAsset(root, {
        file: 'docker/bff.Dockerfile',
        exclude: ASSET_EXCLUDES,
        platform: TASK_PLATFORM.imagePlatform,
      }),
      portMappings: [{ containerPort: 3333 }],
      environment: bffEnvironment(
        props,
        props.api.urlForPath('/').replace(/\/$/, ''),
        Stack.of(this).region,
        https ? this.url : undefined,
      ),
      secrets: { COOKIE_SECRET: ecs.Secret.fromSecretsManager(cookieSecret) },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'bff' }),
      stopTimeout: Duration.seconds(90),
      readonlyRootFilesystem: true,
    });
    // The BFF may call the generator API and nothing else of it.
    bffTask.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: [props.api.arnForExecuteApi('*', '/*', props.stage)],
      }),
    );

    // The prompt assistant (ADR 0014): ConverseStream through the text model's cross-Region profile needs
    // bedrock:InvokeModelWithResponseStream on the profile in the calling Region and on the model in
    // every Region it routes to (Bedrock user guide, "Prerequisites for inference profiles").
    const textModel = props.assistant ? findTextModel(props.assistant.textModelId) : undefined;
    if (props.assistant && !textModel)
      throw new Error(`the assistant's text model ${props.assistant.textModelId} is not in the catalog`);
    if (props.assistant && textModel) {
      bffTask.taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['bedrock:InvokeModelWithResponseStream'],
          resources: textModelResourceArns(
            textModel,
            props.assistant.bedrockRegion,
            Stack.of(this).account,
            Stack.of(this).partition,
          ),
        }),
      );
    }
    // The rate limiter's counters (ADR 0015): one conditional UpdateItem per counted request, on the
    // limiter's own items only: dynamodb:LeadingKeys holds the partition key values a request touches
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
    bffTask.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.rateLimitTable.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RATE_LIMIT_PARTITION_PREFIX}*`] },
        },
      }),
    );

    Validations.of(bffTask).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'Plain settings only (port, API URL, region, log level, rate limits); the one secret comes from Secrets Manager.',
    });
    Validations.of(props.bffTaskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${Token.isUnresolved(Stack.of(this).partition) ? '<AWS::Partition>' : Stack.of(this).partition}:execute-api:${Stack.of(this).region}:${Token.isUnresolved(Stack.of(this).account) ? '<AWS::AccountId>' : Stack.of(this).account}:<${Stack.of(this).getLogicalId(props.api.node.defaultChild as apigw.CfnRestApi)}>/${props.stage}/*/*]`,
      reason: 'execute-api:Invoke on every method of the generator API stage, and nothing else.',
    });

    const webTask = new ecs.FargateTaskDefinition(this, 'WebTask', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: {
        cpuArchitecture: TASK_PLATFORM.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    webTask.addContainer('web', {
      image: ecs.ContainerImage.fromAsset(root, {
        file: 'docker/web.Dockerfile',
        exclude: ASSET_EXCLUDES,
        platform: TASK_PLATFORM.imagePlatform,
      }),
      portMappings: [{ containerPort: 8080 }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'web' }),
      stopTimeout: Duration.seconds(30),
    });
    for (const task of [bffTask, webTask]) {
      Validations.of(task).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken has no resource scope; image pulls are scoped to the asset repository.',
      });
    }

    const service = (name: string, task: ecs.FargateTaskDefinition) => {
      const svc = new ecs.FargateService(this, name, {
        cluster,
        taskDefinition: task,
        desiredCount: props.minTasks,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        circuitBreaker: { enable: true, rollback: true },
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        enableExecuteCommand: false,
      });
      return svc;
    };
    const bff = (this.bffService = service('Bff', bffTask));
    const web = (this.webService = service('Web', webTask));

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(60),
    });
    const albLogs = new s3.Bucket(this, 'AlbLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(albLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket only receives the ALB access logs; logging it too would add a bucket per bucket.',
    });
    this.loadBalancer.logAccessLogs(albLogs, 'alb');

    let listener: elbv2.ApplicationListener;
    /** Without a domain: the conditions every forwarding rule adds (the secret header CloudFront sends). */
    let fromEdge: elbv2.ListenerCondition[] = [];
    if (https) {
      Validations.of(this.loadBalancer).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'The public entry point: open to the internet on 80/443 by design, behind the WAF.',
      });
      const zone = route53.HostedZone.fromLookup(this, 'Zone', {
        domainName: props.hostedZoneName as string,
      });
      const certificate = new acm.Certificate(this, 'Certificate', {
        domainName: props.domainName as string,
        validation: acm.CertificateValidation.fromDns(zone),
      });
      listener = this.loadBalancer.addListener('Https', {
        port: 443,
        certificates: [certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      });
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
      new route53.ARecord(this, 'Alias', {
        zone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
      });
    } else {
      // CloudFront's HTTPS in front; the ALB refuses (403) whatever does not come through it.
      listener = this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.fixedResponse(403, {
          contentType: 'text/plain',
          messageBody: 'Forbidden',
        }),
      });
      this.edge = new Edge(this, 'Edge', { loadBalancer: this.loadBalancer });
      this.url = this.edge.url;
      fromEdge = [elbv2.ListenerCondition.httpHeader(ORIGIN_VERIFY_HEADER, [this.edge.originVerifyValue])];
      bffContainer.addEnvironment('PUBLIC_ORIGIN', this.url);
      // X-Forwarded-For: <viewer>, <CloudFront edge> — the BFF counts the viewer (two proxies).
      bffContainer.addEnvironment('TRUST_PROXY_HOPS', '2');
    }

    const webTargets = (this.webTargets = new elbv2.ApplicationTargetGroup(this, 'WebTargets', {
      vpc: props.vpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [web],
      healthCheck: { path: '/', healthyHttpCodes: '200' },
      deregistrationDelay: Duration.seconds(15),
    }));
    const bffTargets = (this.bffTargets = new elbv2.ApplicationTargetGroup(this, 'BffTargets', {
      vpc: props.vpc,
      port: 3333,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [bff],
      healthCheck: { path: '/api/health', healthyHttpCodes: '200', interval: Duration.seconds(15) },
      deregistrationDelay: DRAIN,
    }));

    /**
     * With Cognito: pages without a session go to the sign-in page (`authenticate`); `/api/*` calls
     * answer 401 (`deny`), since a fetch cannot follow a redirect to a sign-in page: the web app
     * reloads the page on a 401, which signs in again (ADR 0009).
     */
    const forward = (
      group: elbv2.ApplicationTargetGroup,
      unauthenticated: elbv2.UnauthenticatedAction,
    ): elbv2.ListenerAction => {
      if (!props.cognito) return elbv2.ListenerAction.forward([group]);
      return new elbActions.AuthenticateCognitoAction({
        userPool: this.userPool(),
        userPoolClient: this.userPoolClient(),
        userPoolDomain: this.userPoolDomain(),
        onUnauthenticatedRequest: unauthenticated,
        next: elbv2.ListenerAction.forward([group]),
      });
    };
    if (props.cognito) {
      // The BFF verifies the ALB's x-amzn-oidc-data token: signer, issuer and app client.
      bffContainer.addEnvironment('OIDC_ALB_ARN', this.loadBalancer.loadBalancerArn);
      // The issuer of Cognito's tokens, as aws-jwt-verify's AlbJwtVerifier documents it.
      bffContainer.addEnvironment(
        'OIDC_ISSUER',
        `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool().userPoolId}`,
      );
      bffContainer.addEnvironment('OIDC_CLIENT_ID', this.userPoolClient().userPoolClientId);
    }
    listener.addAction('Web', {
      ...(fromEdge.length ? { priority: 20, conditions: fromEdge } : {}),
      action: forward(webTargets, elbv2.UnauthenticatedAction.AUTHENTICATE),
    });
    listener.addAction('Api', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/api/*']), ...fromEdge],
      action: forward(bffTargets, elbv2.UnauthenticatedAction.DENY),
    });

    for (const [svc, group, perTarget] of [
      [bff, bffTargets, 300],
      [web, webTargets, 1000],
    ] as const) {
      const scaling = svc.autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks });
      scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
      scaling.scaleOnRequestCount('Requests', { targetGroup: group, requestsPerTarget: perTarget });
    }

    new CfnOutput(this, 'Url', { value: this.url, description: 'Open this' });
  }

  private pool?: cognito.UserPool;
  private client?: cognito.UserPoolClient;
  private domain?: cognito.UserPoolDomain;

  private userPool(): cognito.UserPool {
    this.pool ??= new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return this.pool;
  }

  private userPoolClient(): cognito.UserPoolClient {
    this.client ??= this.userPool().addClient('Alb', {
      generateSecret: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [`${this.url}/oauth2/idpresponse`],
      },
    });
    return this.client;
  }

  private userPoolDomain(): cognito.UserPoolDomain {
    this.domain ??= this.userPool().addDomain('Domain', {
      cognitoDomain: { domainPrefix: this.cognitoDomainPrefix },
    });
    return this.domain;
  }
}
