import {
  ErrorCode,
  GENERATOR_METRIC,
  METRIC_DIMENSION,
  ProblemDetails,
  ProblemError,
} from '@imagegen/contracts';
import {
  GenerationRecord,
  GenerationRepositoryPort,
  GeneratorDeps,
  ImageModelPort,
} from '@imagegen/generator/domain';

/** CloudWatch units the generator's metrics use (the EMF `Unit` values). */
export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/**
 * Where the generator's metrics go: Powertools Metrics in EMF on stdout (aws-app.ts), a list in tests.
 * One data point per call, emitted at once, under the `service` dimension alone and, with `by`,
 * under `service` and those dimensions too (a second dimension set of the same EMF line).
 */
export interface MetricsSink {
  /** `requestId`, when known, rides on the EMF line as a plain field (not a dimension), as on the logs. */
  record(
    name: string,
    unit: MetricUnit,
    value: number,
    by?: Readonly<Record<string, string>>,
    requestId?: string,
  ): void;
}

/** Reads a filter's reason from its problem ("…content filter (reason): …"), short and lowercase. */
export function filterReason(detail: string | undefined): string {
  const reason = /\(([^)]{1,60})\)/.exec(detail ?? '')?.[1];
  return (reason ?? 'request').trim().toLowerCase();
}

const problemOf = (err: unknown): ProblemDetails | undefined =>
  err instanceof ProblemError ? err.problem : undefined;

/** The model port, timed: ModelTime per model (or image service), and the throttles and filtered images it reports. */
function observedModel(model: ImageModelPort, sink: MetricsSink, now: () => number): ImageModelPort {
  const timed = async <T>(modelId: string, call: () => Promise<T>): Promise<T> => {
    const started = now();
    const by = { [METRIC_DIMENSION.model]: modelId };
    try {
      return await call();
    } catch (err) {
      const problem = problemOf(err);
      if (problem?.code === ErrorCode.MODEL_THROTTLED)
        sink.record(GENERATOR_METRIC.throttles, 'Count', 1, by);
      if (problem?.code === ErrorCode.CONTENT_FILTERED)
        sink.record(GENERATOR_METRIC.imagesFiltered, 'Count', 1, {
          [METRIC_DIMENSION.reason]: filterReason(problem.detail),
        });
      if (problem?.code === ErrorCode.INPUT_IMAGE_FILTERED)
        sink.record(GENERATOR_METRIC.imagesFiltered, 'Count', 1, {
          [METRIC_DIMENSION.reason]: 'input image',
        });
      throw err;
    } finally {
      sink.record(GENERATOR_METRIC.modelTime, 'Milliseconds', now() - started, by);
    }
  };
  return {
    generate: (entry, request, seed) => timed(entry.id, () => model.generate(entry, request, seed)),
    edit: (service, request, seed, inputs) =>
      timed(service.id, () => model.edit(service, request, seed, inputs)),
  };
}

/**
 * The job records, observed where the facts are written: a job created (JobsStarted), an image
 * task started (QueueAge: since the job was queued), an image recorded (ImagesMade per model), a
 * job settled (CostUsd; JobsFailed per code). Only what the store accepted counts.
 */
function observedRepository(
  repository: GenerationRepositoryPort,
  sink: MetricsSink,
  now: () => number,
  usage: GeneratorDeps['usage'],
): GenerationRepositoryPort {
  /** The deployment's month-to-date spending once a job has ended: never fails the settle it follows. */
  const monthSpend = async (ownerId: string) => {
    const at = new Date(now()).toISOString();
    try {
      const counters = await usage.budgetUsage(ownerId, at.slice(0, 10), at.slice(0, 7));
      sink.record(GENERATOR_METRIC.deploymentSpendMonthUsd, 'None', counters.deploymentMonthUsd);
    } catch {
      // The counters could not be read: the next job's end emits the figure.
    }
  };
  const started = (record: GenerationRecord) =>
    sink.record(
      GENERATOR_METRIC.jobsStarted,
      'Count',
      1,
      { [METRIC_DIMENSION.model]: record.modelId },
      record.requestId,
    );
  const overrides: Partial<GenerationRepositoryPort> = {
    create: async (record) => {
      await repository.create(record);
      // A repeat answered from the store is created ended: no job for the worker.
      if (record.status === 'queued') started(record);
    },
    // With budgets on (ADR 0015), a job is created with its reservation: counted when the store took it.
    createReserved: async (record, limits) => {
      const outcome = await repository.createReserved(record, limits);
      if (outcome.ok && record.status === 'queued') started(record);
      return outcome;
    },
    startTask: async (...args) => {
      const record = await repository.startTask(...args);
      if (record)
        sink.record(
          GENERATOR_METRIC.queueAge,
          'Milliseconds',
          Math.max(0, now() - Date.parse(record.createdAt)),
          undefined,
          record.requestId,
        );
      return record;
    },
    finishTask: async (...args) => {
      const after = await repository.finishTask(...args);
      const outcome = args[4];
      if (after && 'image' in outcome)
        sink.record(
          GENERATOR_METRIC.imagesMade,
          'Count',
          1,
          { [METRIC_DIMENSION.model]: after.modelId },
          after.requestId,
        );
      return after;
    },
    // Every argument passed on (the budget release included): a wrapper must never change what is written.
    settle: async (ownerId, id, update, ...rest) => {
      const settled = await repository.settle(ownerId, id, update, ...rest);
      if (settled) {
        if (update.costUsd > 0) {
          sink.record(GENERATOR_METRIC.costUsd, 'None', update.costUsd);
          await monthSpend(ownerId);
        }
        if (update.status === 'failed')
          sink.record(GENERATOR_METRIC.jobsFailed, 'Count', 1, {
            [METRIC_DIMENSION.code]: update.error?.code ?? ErrorCode.INTERNAL,
          });
      }
      return settled;
    },
  };
  return new Proxy(repository, {
    get(target, property, receiver) {
      const own = (overrides as Record<PropertyKey, unknown>)[property];
      if (own) return own;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The generator's ports with its metrics recorded as the use cases go (no use case changes): the
 * composition roots wrap their deps once.
 */
export function observedDeps(deps: GeneratorDeps, sink: MetricsSink): GeneratorDeps {
  const now = () => deps.clock.now().getTime();
  return {
    ...deps,
    model: observedModel(deps.model, sink, now),
    repository: observedRepository(deps.repository, sink, now, deps.usage),
  };
}

/** The Lambda context fields every log line of an invocation carries (named as Powertools Logger names them). */
export interface LambdaContextLike {
  readonly functionName?: string;
  readonly functionVersion?: string;
  readonly memoryLimitInMB?: string;
  readonly awsRequestId?: string;
}

let current: Record<string, unknown> = {};
let coldStart = true;

/**
 * Runs one invocation with its Lambda context bound to the logs (`lambdaContextFields`): the
 * function, its request id, whether this container's first (`cold_start`), and the X-Ray trace id.
 */
export async function withLambdaContext<T>(
  context: LambdaContextLike | undefined,
  run: () => Promise<T>,
): Promise<T> {
  current = context
    ? {
        function_name: context.functionName,
        function_version: context.functionVersion,
        function_memory_size: context.memoryLimitInMB,
        function_request_id: context.awsRequestId,
        cold_start: coldStart,
        ...(process.env['_X_AMZN_TRACE_ID'] ? { xray_trace_id: process.env['_X_AMZN_TRACE_ID'] } : {}),
      }
    : {};
  coldStart = false;
  try {
    return await run();
  } finally {
    current = {};
  }
}

/** For the logger's mixin: the fields of the invocation in progress (none outside one). */
export const lambdaContextFields = (): Record<string, unknown> => current;
