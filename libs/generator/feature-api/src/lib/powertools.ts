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
      if (by) {
        const split = single();
        split.addDimensions({ ...by });
        split.addMetric(name, unit as PowertoolsUnit, value);
      }
    },
  };
}

/** Wraps an SDK client so its calls are traced (X-Ray subsegments, in Lambda), or hands it back as is. */
export type Traced = <T>(client: T) => T;

/** The part of Powertools Tracer used here. */
export interface ClientTracer {
  captureAWSv3Client<T>(client: T): T;
}

/** The clients untraced: the local cloud's in-process generator (no X-Ray daemon there). */
export const untraced: Traced = (client) => client;

/**
 * Loads Powertools Tracer at run time: in Lambda from the Powertools layer (/opt/nodejs/node_modules,
 * on Lambda's NODE_PATH), locally from node_modules. It is never bundled (apps/generator/bundle.cjs marks
 * `@aws-lambda-powertools/*` external: with aws-xray-sdk-core it would add ~118 KiB per bundle, ADR 0016).
 */
export function loadPowertoolsTracer(): ClientTracer {
  // Loaded when a Lambda root is built (not at import): from the layer, or not at all.
  const { Tracer } = require('@aws-lambda-powertools/tracer') as {
    Tracer: new () => ClientTracer;
  };
  // Service name from POWERTOOLS_SERVICE_NAME (set on every generator function by infra).
  return new Tracer();
}

let shared: ClientTracer | null | undefined;

/**
 * The Lambda composition roots' `traced`: each AWS SDK v3 client through Powertools Tracer's
 * `captureAWSv3Client`, which records every call as an X-Ray subsegment of the invocation's trace
 * (https://docs.aws.amazon.com/powertools/typescript/latest/features/tracer/). Tracer itself turns
 * tracing off outside Lambda (no AWS_EXECUTION_ENV) and with POWERTOOLS_TRACE_ENABLED=false, and then
 * hands the client back unchanged. The tracer is loaded once, on first use; when it cannot be loaded
 * (no layer, no module) the clients stay untraced and `warn` says so once: tracing never stops a function.
 */
export function powertoolsTraced(
  warn: (message: string, detail?: Record<string, unknown>) => void,
  load: () => ClientTracer = loadPowertoolsTracer,
): Traced {
  if (shared === undefined) {
    try {
      shared = load();
    } catch (err) {
      shared = null;
      warn('Powertools Tracer could not be loaded: the AWS SDK clients are not traced', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  const tracer = shared;
  return tracer ? (client) => tracer.captureAWSv3Client(client) : untraced;
}

/** Forgets the loaded tracer (tests). */
export function resetPowertoolsTracer(): void {
  shared = undefined;
}
