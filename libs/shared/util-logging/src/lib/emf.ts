/** A CloudWatch unit of an embedded metric. */
export type EmfUnit = 'Count' | 'Milliseconds' | 'None';

export interface EmfMetric {
  readonly name: string;
  readonly unit: EmfUnit;
  readonly value: number;
}

/**
 * The fields that make a JSON log line a CloudWatch embedded metric format (EMF) document: CloudWatch
 * Logs extracts `metrics` from it, under the dimension `dimensions` (each a field of the same line,
 * such as the logger's `service`). Written through the logger, so the line keeps its request id.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function emfFields(
  namespace: string,
  dimensions: readonly string[],
  metrics: readonly EmfMetric[],
  timestamp = Date.now(),
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [dimensions],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...Object.fromEntries(metrics.map((m) => [m.name, m.value])),
  };
}
