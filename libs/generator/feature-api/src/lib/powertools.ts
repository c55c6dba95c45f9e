import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { METRICS_NAMESPACE, METRICS_SERVICE } from '@imagegen/contracts';

import { MetricsSink } from './observability';

type PowertoolsUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * The generator's metrics through Powertools Metrics: each data point an EMF line on stdout at once
 * (`singleMetric`; with dimensions, a second line under them), which CloudWatch Logs turns into metrics; nothing is buffered, so nothing is
 * lost when an invocation throws or times out. Every function reports as service=generator.
 * https://docs.aws.amazon.com/powertools/typescript/latest/features/metrics/
 */
export function powertoolsMetrics(): MetricsSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE.generator });
  return {
    record(name, unit, value, by, requestId) {
      const single = () => {
        const one = metrics.singleMetric();
        if (requestId) one.addMetadata('requestId', requestId);
        return one;
      };
      // The total (service alone) feeds the rates and alarms; the split (service + `by`) the per-model graphs.
      single().addMetric(name, unit as PowertoolsUnit, value);
      if (by)
        single()
          .addDimensions({ ...by })
          .addMetric(name, unit as PowertoolsUnit, value);
    },
  };
}

/**
 * The SDK clients are not traced: Powertools Tracer brings aws-xray-sdk-core (with semver and
 * cls-hooked), +118 KiB minified, and the API (649 KiB) and worker (611 KiB) bundles would pass
 * their 600 KiB budget (ADR 0016, measured). Lambda's active tracing still records each invocation.
 * The composition roots pass every client through here, so tracing them is a one-line change.
 */
export const untraced = <T>(client: T): T => client;
