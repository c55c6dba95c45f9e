import { ErrorCode, ProblemError } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';

import { FakeDeps, fakeDeps, runAll } from '../testing';
import { periodsOf } from './budgets';
import { ownerSummary } from './models';
import { ReservationLimits } from './ports';
import { cancelGeneration, createGeneration, getGeneration } from './use-cases';
import { runGeneration } from './worker';

const CORE = 'stability.stable-image-core-v1:1'; // $0.04 an image
const ALICE = 'anon-alice';
const BOB = 'anon-bob';
const GENEROUS: ReservationLimits = {
  deploymentMonthlyUsd: 1000,
  ownerDailyUsd: 100,
  ownerMonthlyUsd: 500,
  ownerImagesInFlight: 100,
};

function withBudgets(limits: Partial<ReservationLimits>): FakeDeps {
  const deps = fakeDeps();
  return Object.assign(deps, { settings: { ...deps.settings, budgets: { ...GENEROUS, ...limits } } });
}

const send = (deps: FakeDeps, owner: string, count = 1) =>
  createGeneration(deps, owner, { modelId: CORE, prompt: 'a lighthouse', count }, 'req');

describe(periodsOf.name, () => {
  it('names the UTC day and month and when each ends (the year too at its end)', () => {
    expect(periodsOf(new Date('2026-12-31T23:59:59.000Z'))).toEqual({
      day: '2026-12-31',
      month: '2026-12',
      dayEndsAt: '2027-01-01T00:00:00.000Z',
      monthEndsAt: '2027-01-01T00:00:00.000Z',
    });
  });
});

describe('budgets', () => {
  it('refuses the job that would pass the daily budget, saying which, how much is left and when it resets; writes nothing', async () => {
    // GIVEN a daily budget of $0.20 per owner, and $0.16 used
    const sut = withBudgets({ ownerDailyUsd: 0.2 });
    for (let i = 0; i < 4; i++) await send(sut, ALICE);
    const before = sut.repository.records.size;
    // WHEN alice asks for 2 more images ($0.08)
    const p = await problemOf(send(sut, ALICE, 2));
    // THEN BUDGET_EXCEEDED (429) names the daily budget, $0.04 left, until midnight UTC
    expect(p).toMatchObject({
      status: 429,
      code: ErrorCode.BUDGET_EXCEEDED,
      budget: {
        name: 'owner-daily',
        limitUsd: 0.2,
        usedUsd: 0.16,
        remainingUsd: 0.04,
        resetsAt: '2026-11-25T00:00:00.000Z',
      },
    });
    expect(p.detail).toMatch(/daily budget of \$0\.20: \$0\.04 left until 2026-11-25T00:00:00\.000Z/);
    expect(p.retryAfterSeconds).toBeGreaterThan(13 * 3600);
    expect(sut.repository.records.size).toBe(before);
    expect(sut.invoked).toHaveLength(4);
    // AND one image ($0.04) still fits; bob has his own daily budget
    expect((await send(sut, ALICE)).status).toBe('queued');
    expect((await send(sut, BOB, 4)).status).toBe('queued');
  });

  it("refuses anyone's job past the deployment's monthly budget", async () => {
    const sut = withBudgets({ deploymentMonthlyUsd: 0.1 });
    await send(sut, ALICE, 2);
    const p = await problemOf(send(sut, BOB, 2));
    expect(p).toMatchObject({
      code: ErrorCode.BUDGET_EXCEEDED,
      budget: { name: 'deployment-monthly', remainingUsd: 0.02, resetsAt: '2026-12-01T00:00:00.000Z' },
    });
  });

  it('gives back what a job did not spend when it ends: only images made are counted', async () => {
    // GIVEN a $0.12 daily budget fully reserved by a 3-image job
    const sut = withBudgets({ ownerDailyUsd: 0.12 });
    const job = await send(sut, ALICE, 3);
    expect((await problemOf(send(sut, ALICE))).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    // WHEN one image is made and two fail
    let n = 0;
    const generate = sut.model.generate.bind(sut.model);
    sut.model.generate = async (...args) => {
      if (n++ > 0) throw ProblemError.of(ErrorCode.CONTENT_FILTERED, 'filtered');
      return generate(...args);
    };
    await runAll(sut);
    // THEN the job cost $0.04, the summary says so, and $0.08 is back
    expect((await getGeneration(sut, ALICE, job.id)).costUsd).toBe(0.04);
    const summary = await ownerSummary(sut, ALICE);
    expect(summary.spentUsd).toBe(0.04);
    expect(summary.budgets?.find((b) => b.name === 'owner-daily')).toMatchObject({ remainingUsd: 0.08 });
    expect(summary.queue).toEqual({ imagesAhead: 0, ownerImages: 0, ownerLimit: 100, parallelism: 4 });
    expect((await send(sut, ALICE, 2)).status).toBe('queued');
  });

  it('gives the reservation back when the worker cannot be handed the job', async () => {
    const sut = withBudgets({ ownerDailyUsd: 0.04 });
    sut.failInvoke = true;
    expect((await problemOf(send(sut, ALICE))).code).toBe(ErrorCode.MODEL_UNAVAILABLE);
    sut.failInvoke = false;
    expect((await send(sut, ALICE)).status).toBe('queued');
  });

  it('counts what a cancelled job kept, and frees the rest', async () => {
    const sut = withBudgets({ ownerDailyUsd: 0.16 });
    const job = await send(sut, ALICE, 4);
    // one image made, then cancelled
    const first = sut.invoked.shift();
    if (first) await runGeneration(sut, first);
    const cancelled = await cancelGeneration(sut, ALICE, job.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', costUsd: 0.04 });
    const summary = await ownerSummary(sut, ALICE);
    expect(summary.spentUsd).toBe(0.04);
    expect(summary.budgets?.find((b) => b.name === 'owner-daily')?.remainingUsd).toBe(0.12);
    expect(summary.queue?.ownerImages).toBe(0);
  });
});

describe('fair sharing of the worker', () => {
  it('refuses QUEUE_FULL past N images queued or in flight for one owner, not for another, and again once done', async () => {
    // GIVEN at most 3 images per owner
    const sut = withBudgets({ ownerImagesInFlight: 3 });
    await send(sut, ALICE, 2);
    // WHEN alice asks for 2 more
    const p = await problemOf(send(sut, ALICE, 2));
    // THEN refused with Retry-After, while bob is queued
    expect(p).toMatchObject({ status: 429, code: ErrorCode.QUEUE_FULL });
    expect(p.detail).toMatch(/2 images waiting .*at most 3/);
    expect(p.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await send(sut, BOB, 3)).status).toBe('queued');
    // AND the queue a new job finds counts every owner's images
    expect((await ownerSummary(sut, ALICE)).queue).toMatchObject({
      imagesAhead: 5,
      ownerImages: 2,
      ownerLimit: 3,
    });
    // AND once her images are made, alice may send again
    await runAll(sut);
    expect((await send(sut, ALICE, 3)).status).toBe('queued');
  });
});
