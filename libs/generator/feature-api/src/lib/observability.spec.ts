import { Writable } from 'node:stream';

import { ErrorCode, GENERATOR_METRIC, ProblemError } from '@imagegen/contracts';
import {
  cancelGeneration,
  createGeneration,
  ownerSummary,
  runGeneration,
  settleAbandonedGeneration,
} from '@imagegen/generator/domain';
import { fakeDeps, FakeDeps, throttled } from '@imagegen/generator/domain/testing';
import { createLogger } from '@imagegen/shared/util-logging';

import {
  filterReason,
  lambdaContextFields,
  MetricsSink,
  MetricUnit,
  observedDeps,
  withLambdaContext,
} from './observability';

const CORE = 'stability.stable-image-core-v1:1';
const OWNER = 'anon-metrics';

interface Point {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
  readonly by?: Readonly<Record<string, string>>;
  readonly requestId?: string;
}

function setup() {
  const points: Point[] = [];
  const sink: MetricsSink = {
    record: (name, unit, value, by, requestId) =>
      points.push({ name, unit, value, ...(by ? { by } : {}), ...(requestId ? { requestId } : {}) }),
  };
  const fakes: FakeDeps = fakeDeps();
  const deps = observedDeps(fakes, sink);
  const named = (name: string) => points.filter((p) => p.name === name);
  const runAll = async () => {
    for (const event of fakes.invoked.splice(0)) await runGeneration(deps, event, `delivery-${event.index}`);
  };
  return { fakes, deps, points, named, runAll };
}

const start = (deps: ReturnType<typeof setup>['deps'], count = 2, extra = {}) =>
  createGeneration(deps, OWNER, { modelId: CORE, prompt: 'a red kite', count, ...extra }, 'req-1');

describe(observedDeps.name, () => {
  it('counts a started job, each image made per model, the model time per call, the queue age and the cost', async () => {
    const { deps, named, runAll, fakes } = setup();
    await start(deps, 2);
    fakes.advance(30_000); // the events wait in the queue
    await runAll();
    // (with the job's request id, as its log lines have it)
    expect(named(GENERATOR_METRIC.jobsStarted)).toEqual([
      { name: 'JobsStarted', unit: 'Count', value: 1, by: { model: CORE }, requestId: 'req-1' },
    ]);
    expect(named(GENERATOR_METRIC.imagesMade)).toEqual([
      { name: 'ImagesMade', unit: 'Count', value: 1, by: { model: CORE }, requestId: 'req-1' },
      { name: 'ImagesMade', unit: 'Count', value: 1, by: { model: CORE }, requestId: 'req-1' },
    ]);
    const times = named(GENERATOR_METRIC.modelTime);
    expect(times).toHaveLength(2);
    for (const t of times) expect(t).toMatchObject({ unit: 'Milliseconds', by: { model: CORE } });
    const ages = named(GENERATOR_METRIC.queueAge);
    expect(ages).toHaveLength(2);
    expect(ages[0].value).toBeGreaterThanOrEqual(30_000);
    // The catalog price of two Core images, once, when the job settled
    expect(named(GENERATOR_METRIC.costUsd)).toEqual([{ name: 'CostUsd', unit: 'None', value: 0.08 }]);
    expect(named(GENERATOR_METRIC.jobsFailed)).toEqual([]);
  });

  it('with budgets on, still gives the reservation back when the job settles: spent shows the real cost, nothing stays in flight', async () => {
    const { fakes } = setup();
    Object.assign(fakes, {
      settings: {
        ...fakes.settings,
        budgets: {
          deploymentMonthlyUsd: 100,
          ownerDailyUsd: 10,
          ownerMonthlyUsd: 50,
          ownerImagesInFlight: 8,
        },
      },
    });
    const points: Point[] = [];
    const observed = observedDeps(fakes, {
      record: (name, unit, value) => points.push({ name, unit, value }),
    });
    const runQueued = async () => {
      for (const event of fakes.invoked.splice(0)) await runGeneration(observed, event, `d-${event.index}`);
    };
    await createGeneration(observed, OWNER, { modelId: CORE, prompt: 'a red kite', count: 2 }, 'req-1');
    await runQueued();
    await createGeneration(observed, 'someone-else', { modelId: CORE, prompt: 'a blue kite' }, 'req-2');
    await runQueued();
    const summary = await ownerSummary(observed, OWNER);
    expect(summary).toMatchObject({ spentUsd: 0.08, images: 2 });
    expect(summary.queue?.ownerImages).toBe(0);
    // After each job ends, the deployment's month-to-date spending (every owner's), for the budget-share alarm
    expect(
      points.filter((p) => p.name === GENERATOR_METRIC.deploymentSpendMonthUsd).map((p) => p.value),
    ).toEqual([0.08, 0.12]);
  });

  it('counts throttles per model, filtered images per reason, and a failed job per code, without cost', async () => {
    const { deps, fakes, named, runAll } = setup();
    await start(deps, 2);
    fakes.model.script = [
      throttled(),
      ProblemError.of(
        ErrorCode.CONTENT_FILTERED,
        'Blocked by the content filter (output image): edit the prompt',
      ),
    ];
    await runAll();
    expect(named(GENERATOR_METRIC.throttles)).toEqual([
      { name: 'ModelThrottles', unit: 'Count', value: 1, by: { model: CORE } },
    ]);
    expect(named(GENERATOR_METRIC.imagesFiltered)).toEqual([
      { name: 'ImagesFiltered', unit: 'Count', value: 1, by: { reason: 'output image' } },
    ]);
    expect(named(GENERATOR_METRIC.imagesMade)).toEqual([]);
    expect(named(GENERATOR_METRIC.jobsFailed)).toEqual([
      { name: 'JobsFailed', unit: 'Count', value: 1, by: { code: ErrorCode.MODEL_THROTTLED } },
    ]);
    expect(named(GENERATOR_METRIC.costUsd)).toEqual([]);
  });

  it('counts a job the worker gave up on (on-failure destination) as failed, and a cancelled one not at all', async () => {
    const { deps, fakes, named } = setup();
    await start(deps, 1);
    const [event] = fakes.invoked.splice(0);
    await settleAbandonedGeneration(deps, event);
    expect(named(GENERATOR_METRIC.jobsFailed)).toEqual([
      { name: 'JobsFailed', unit: 'Count', value: 1, by: { code: ErrorCode.MODEL_UNAVAILABLE } },
    ]);
    const cancelled = await start(deps, 1);
    await cancelGeneration(deps, OWNER, cancelled.id);
    expect(named(GENERATOR_METRIC.jobsFailed)).toHaveLength(1);
    expect(named(GENERATOR_METRIC.jobsStarted)).toHaveLength(2);
  });

  it('counts a job created with its budget reservation (budgets on), and not one the budgets refuse', async () => {
    const { deps, fakes, named } = setup();
    Object.assign(fakes, {
      settings: {
        ...fakes.settings,
        budgets: {
          deploymentMonthlyUsd: 1000,
          ownerDailyUsd: 0.1,
          ownerMonthlyUsd: 500,
          ownerImagesInFlight: 100,
        },
      },
    });
    const observed = { ...deps, settings: fakes.settings };
    await start(observed, 2); // $0.08 of the owner's $0.10 day
    expect(named(GENERATOR_METRIC.jobsStarted)).toEqual([
      { name: 'JobsStarted', unit: 'Count', value: 1, by: { model: CORE }, requestId: 'req-1' },
    ]);
    await expect(start(observed, 2)).rejects.toThrow(ProblemError);
    expect(named(GENERATOR_METRIC.jobsStarted)).toHaveLength(1);
  });

  it('keeps every other repository method as it was (bound to the real repository)', async () => {
    const { deps } = setup();
    const job = await start(deps, 1);
    expect((await deps.repository.get(OWNER, job.id))?.id).toBe(job.id);
  });
});

describe(filterReason.name, () => {
  it.each([
    ['Blocked by the content filter (Output Image): edit the prompt and try again.', 'output image'],
    ['Blocked by the content filter: edit the prompt and try again.', 'request'],
    [undefined, 'request'],
  ])('reads %j as %j', (detail, reason) => expect(filterReason(detail)).toBe(reason));
});

describe(withLambdaContext.name, () => {
  it("puts the invocation's Lambda context and cold start on every log line, in the repo's log shape", async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) });
    const log = createLogger({ service: 'generator-worker', destination, mixin: lambdaContextFields });
    const context = (id: string) => ({
      functionName: 'ImagegenApp-GeneratorWorker',
      functionVersion: '$LATEST',
      memoryLimitInMB: '1024',
      awsRequestId: id,
    });
    await withLambdaContext(context('aws-1'), async () =>
      log.child({ requestId: 'req-1' }).info('image made'),
    );
    await withLambdaContext(context('aws-2'), async () => log.info('second'));
    log.info('outside');
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'generator-worker',
      msg: 'image made',
      requestId: 'req-1',
      function_name: 'ImagegenApp-GeneratorWorker',
      function_request_id: 'aws-1',
      function_memory_size: '1024',
      cold_start: true,
    });
    expect(lines[1]).toMatchObject({ function_request_id: 'aws-2', cold_start: false });
    expect(lines[2]['function_request_id']).toBeUndefined();
  });
});
