import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import {
  BFF_METRIC,
  GENERATOR_METRIC,
  METRIC_DIMENSION,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '@imagegen/contracts';

export interface MonitoringProps {
  readonly worker: lambda.IFunction;
  /** The worker queue: the age of its oldest message is how long a queued image has waited. */
  readonly workerQueue: sqs.IQueue;
  readonly apiFunction: lambda.IFunction;
  /** The dead-letter queue's consumer: each of its invocations is an image the worker gave up on. */
  readonly abandoned?: lambda.IFunction;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroups: Readonly<Record<string, elbv2.ApplicationTargetGroup>>;
  readonly services: Readonly<Record<string, ecs.FargateService>>;
  readonly alarmEmail?: string;
  readonly spendUsdPerDay: number;
  /** The deployment's monthly budget (budgetMonthlyUsd) and the share of it that raises the alarm. */
  readonly monthlyBudgetUsd: number;
  readonly spendSharePercent: number;
  readonly errorRatePercent: number;
  readonly queueAgeSeconds: number;
}

const generator = (metricName: string, statistic: string, period = Duration.minutes(5)) =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE.generator },
    statistic,
    period,
  });

const bff = (metricName: string, statistic: string) =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE.bff },
    statistic,
    period: Duration.minutes(5),
  });

/** Every value of one dimension of a generator metric, found by CloudWatch as they appear (a model per line). */
const perDimension = (metricName: string, dimension: string, statistic: string, label: string) =>
  new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${dimension},service} service="${METRICS_SERVICE.generator}" MetricName="${metricName}"', '${statistic}', 300)`,
    label,
    period: Duration.minutes(5),
  });

/**
 * What the operator sees: one CloudWatch dashboard (spend, images per model, model time, error and
 * filter rates, throttles, queue age (the worker queue's oldest message), Lambda errors, ALB 5xx and latency, Fargate
 * CPU and memory) and alarms to one SNS topic (optionally mailed). The generator's and BFF's own
 * metrics are EMF from their logs (@imagegen/contracts names them).
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: 'imagegen alarms',
      enforceSSL: true,
      // The AWS-managed key for SNS: CloudWatch alarms may publish to it without a key policy of ours.
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);
    const alarm = (id: string, options: cloudwatch.AlarmProps) => {
      const made = new cloudwatch.Alarm(this, id, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      made.addAlarmAction(notify);
      this.alarms.push(made);
      return made;
    };

    const spendDay = generator(GENERATOR_METRIC.costUsd, 'Sum', Duration.days(1));
    alarm('Spend', {
      metric: spendDay,
      alarmDescription: `The images made today cost more than ${props.spendUsdPerDay} USD at catalog prices (alarmSpendUsdPerDay).`,
      threshold: props.spendUsdPerDay,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // The month-to-date figure is emitted as each job ends (a calendar month is longer than any alarm period).
    const monthShare = (props.monthlyBudgetUsd * props.spendSharePercent) / 100;
    alarm('SpendShare', {
      metric: generator(GENERATOR_METRIC.deploymentSpendMonthUsd, 'Maximum', Duration.hours(1)),
      alarmDescription: `This month's spending passed ${props.spendSharePercent}% of the ${props.monthlyBudgetUsd} USD monthly budget (${monthShare.toFixed(2)} USD; alarmSpendSharePercent of budgetMonthlyUsd).`,
      threshold: Math.round(monthShare * 100) / 100,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const failed = generator(GENERATOR_METRIC.jobsFailed, 'Sum', Duration.minutes(15));
    const started = generator(GENERATOR_METRIC.jobsStarted, 'Sum', Duration.minutes(15));
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(started > 0, 100 * failed / started, 0)',
      usingMetrics: { failed, started },
      label: 'failed jobs (%)',
      period: Duration.minutes(15),
    });
    alarm('ErrorRate', {
      metric: errorRate,
      alarmDescription: `More than ${props.errorRatePercent}% of the jobs of 15 minutes failed (alarmErrorRatePercent).`,
      threshold: props.errorRatePercent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const throttles = generator(GENERATOR_METRIC.throttles, 'Sum');
    alarm('Throttles', {
      metric: throttles,
      alarmDescription:
        'Bedrock throttled the worker’s calls for 15 minutes: raise the model quota or lower bedrockConcurrency.',
      threshold: 0,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm('WorkerThrottles', {
      metric: props.worker.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      alarmDescription:
        'Lambda throttled the worker (the account or its reservation has no concurrency left) for 15 minutes.',
      threshold: 0,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    if (props.abandoned)
      alarm('WorkerFailures', {
        metric: props.abandoned.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
        alarmDescription:
          'The worker gave up on images (every delivery failed): they reached the dead-letter queue and were marked failed.',
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    // ApproximateAgeOfOldestMessage, in seconds (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html)
    const queueAge = props.workerQueue.metricApproximateAgeOfOldestMessage({
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
    alarm('QueueAge', {
      metric: queueAge,
      alarmDescription: `A queued image waited more than ${props.queueAgeSeconds} s for the worker (alarmQueueAgeSeconds).`,
      threshold: props.queueAgeSeconds,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const alb5xx = new cloudwatch.MathExpression({
      expression: 'FILL(elb, 0) + FILL(targets, 0)',
      usingMetrics: {
        elb: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum' }),
        targets: props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
          statistic: 'Sum',
        }),
      },
      label: 'ALB 5xx',
      period: Duration.minutes(5),
    });
    alarm('Alb5xx', {
      metric: alb5xx,
      alarmDescription:
        'The load balancer answered more than 10 5xx in 5 minutes (its own or the services’).',
      threshold: 10,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    for (const [name, group] of Object.entries(props.targetGroups)) {
      alarm(`${name}Unhealthy`, {
        metric: group.metrics.unhealthyHostCount({ statistic: 'Maximum', period: Duration.minutes(1) }),
        alarmDescription: `A ${name} task failed its load balancer health checks for 3 minutes.`,
        threshold: 0,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `imagegen-${Stack.of(this).region}`,
      defaultInterval: Duration.days(1),
    });
    const width = 8;
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Spend today (USD, catalog prices)',
        metrics: [generator(GENERATOR_METRIC.costUsd, 'Sum', Duration.days(1))],
        start: '-PT24H',
        setPeriodToTimeRange: true,
        width,
      }),
      new cloudwatch.SingleValueWidget({
        title: 'Spend this month (USD, last 30 days)',
        metrics: [generator(GENERATOR_METRIC.costUsd, 'Sum', Duration.days(30))],
        start: '-P30D',
        setPeriodToTimeRange: true,
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Images per model',
        left: [perDimension(GENERATOR_METRIC.imagesMade, METRIC_DIMENSION.model, 'Sum', '')],
        stacked: true,
        width,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Model time p50 / p95 (ms)',
        left: [
          perDimension(GENERATOR_METRIC.modelTime, METRIC_DIMENSION.model, 'p50', 'p50'),
          perDimension(GENERATOR_METRIC.modelTime, METRIC_DIMENSION.model, 'p95', 'p95'),
        ],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Failed jobs and filtered images (%)',
        left: [
          errorRate,
          new cloudwatch.MathExpression({
            expression: 'IF(made + filtered > 0, 100 * filtered / (made + filtered), 0)',
            usingMetrics: {
              made: generator(GENERATOR_METRIC.imagesMade, 'Sum', Duration.minutes(15)),
              filtered: generator(GENERATOR_METRIC.imagesFiltered, 'Sum', Duration.minutes(15)),
            },
            label: 'filtered images (%)',
            period: Duration.minutes(15),
          }),
        ],
        right: [perDimension(GENERATOR_METRIC.jobsFailed, METRIC_DIMENSION.code, 'Sum', '')],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Throttles',
        left: [
          throttles.with({ label: 'Bedrock' }),
          props.worker.metricThrottles({ statistic: 'Sum', label: 'worker (Lambda)' }),
          bff(BFF_METRIC.rateLimited, 'Sum').with({ label: 'BFF 429' }),
        ],
        width,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue age',
        left: [
          generator(GENERATOR_METRIC.queueAge, 'Maximum').with({ label: 'job queued → started, ms (max)' }),
        ],
        right: [queueAge.with({ label: 'oldest message in the worker queue, s (max)' })],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: [
          props.worker.metricErrors({ statistic: 'Sum', label: 'worker' }),
          props.apiFunction.metricErrors({ statistic: 'Sum', label: 'api' }),
          ...(props.abandoned
            ? [props.abandoned.metricInvocations({ statistic: 'Sum', label: 'given up (on-failure)' })]
            : []),
        ],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'ALB 5xx and latency',
        left: [alb5xx],
        right: [
          props.loadBalancer.metrics.targetResponseTime({ statistic: 'p50', label: 'p50 (s)' }),
          props.loadBalancer.metrics.targetResponseTime({ statistic: 'p95', label: 'p95 (s)' }),
        ],
        width,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'BFF requests and latency (ms)',
        left: [bff(BFF_METRIC.requests, 'Sum'), bff(BFF_METRIC.serverErrors, 'Sum')],
        right: [bff(BFF_METRIC.latency, 'p50'), bff(BFF_METRIC.latency, 'p95')],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Fargate CPU and memory (%)',
        left: Object.entries(props.services).map(([name, svc]) =>
          svc.metricCpuUtilization({ label: `${name} CPU` }),
        ),
        right: Object.entries(props.services).map(([name, svc]) =>
          svc.metricMemoryUtilization({ label: `${name} memory` }),
        ),
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Job streams open (BFF, max per task)',
        left: [bff(BFF_METRIC.streamsOpen, 'Maximum')],
        width,
      }),
    );
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Stack.of(this).region}.console.aws.amazon.com/cloudwatch/home?region=${Stack.of(this).region}#dashboards/dashboard/${this.dashboard.dashboardName}`,
      description: 'The operator’s dashboard',
    });
  }
}
