/**
 * The custom metrics imagegen emits in CloudWatch embedded metric format (EMF): the generator's
 * functions through Powertools Metrics, the BFF on its stdout. CloudWatch Logs extracts them from
 * the log events; the dashboard and alarms (infra) read them by these names.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const METRICS_NAMESPACE = 'imagegen';

/** The `service` dimension of each emitter (Powertools' default dimension). */
export const METRICS_SERVICE = { generator: 'generator', bff: 'bff' } as const;

/** Dimension names besides `service`. */
export const METRIC_DIMENSION = {
  /** The Bedrock model id. */
  model: 'model',
  /** Why images were filtered (the model family's reason, e.g. CONTENT_FILTERED). */
  reason: 'reason',
  /** A failed job's stable error code. */
  code: 'code',
} as const;

/** The generator's metrics (service=generator). */
export const GENERATOR_METRIC = {
  /** Jobs accepted and queued (count). */
  jobsStarted: 'JobsStarted',
  /** Images stored (count; also by model). */
  imagesMade: 'ImagesMade',
  /** Images the model's content filter withheld (count; by reason). */
  imagesFiltered: 'ImagesFiltered',
  /** Calls Bedrock throttled (count; also by model). */
  throttles: 'ModelThrottles',
  /** Time of one model call (milliseconds; by model). */
  modelTime: 'ModelTime',
  /** Catalog price of the images made (dollars as a plain number: unit None). */
  costUsd: 'CostUsd',
  /** Jobs that ended failed (count; also by code). */
  jobsFailed: 'JobsFailed',
  /** How long a job waited between being queued and the worker starting it (milliseconds). */
  queueAge: 'QueueAge',
  /**
   * The deployment's spending this calendar month (UTC) at catalog prices, what running jobs hold included, read
   * after each job ends (dollars; the alarm takes the Maximum): what "past a share of the monthly budget" watches.
   */
  deploymentSpendMonthUsd: 'DeploymentSpendMonthUsd',
} as const;

/** The BFF's metrics (service=bff). */
export const BFF_METRIC = {
  /** API requests answered (count). */
  requests: 'Requests',
  /** Time to answer (milliseconds; event streams excluded: they last as long as the job). */
  latency: 'Latency',
  /** Requests refused 429 RATE_LIMITED (count). */
  rateLimited: 'RateLimited',
  /** Job streams (SSE) open in this task when one opens or closes (count; Maximum per period). */
  streamsOpen: 'StreamsOpen',
  /** Answers with a 5xx status (count). */
  serverErrors: 'ServerErrors',
} as const;
