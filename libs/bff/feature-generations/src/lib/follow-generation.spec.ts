import { lastValueFrom, toArray } from 'rxjs';

import { ErrorCode, Generation, ProblemError } from '@imagegen/contracts';

import { followGeneration, FollowOptions } from './follow-generation';

const FAST: FollowOptions = {
  initialDelayMs: 5,
  maxDelayMs: 20,
  factor: 2,
  heartbeatMs: 10_000,
  maxDurationMs: 5_000,
};

function job(status: Generation['status'], updatedAt: string): Generation {
  return {
    id: 'g',
    status,
    createdAt: 't0',
    updatedAt,
    modelId: 'm',
    request: {} as never,
    images: [],
    estimatedCostUsd: 0,
  };
}

describe(followGeneration.name, () => {
  it('pushes each change once and ends after the terminal state', async () => {
    const answers = [
      job('queued', 't0'),
      job('queued', 't0'),
      job('running', 't1'),
      job('running', 't1'),
      job('succeeded', 't2'),
    ];
    let calls = 0;
    const events = await lastValueFrom(
      followGeneration(async () => answers[Math.min(calls++, answers.length - 1)], FAST).pipe(toArray()),
    );
    expect(events.map((e) => (e.type === 'generation' ? e.data.status : e.type))).toEqual([
      'queued',
      'running',
      'succeeded',
    ]);
    expect(calls).toBe(5);
  });

  it('pushes the job read before the stream opened at once, and polls on from there without pushing it again', async () => {
    // GIVEN the job as read before the stream opened, and the generator's next answers
    const answers = [job('queued', 't0'), job('running', 't1'), job('succeeded', 't2')];
    let calls = 0;
    // WHEN the job is followed from it
    const events = await lastValueFrom(
      followGeneration(
        async () => answers[Math.min(calls++, answers.length - 1)],
        FAST,
        job('queued', 't0'),
      ).pipe(toArray()),
    );
    // THEN each state is pushed once, the first without a poll
    expect(events.map((e) => (e.type === 'generation' ? e.data.status : e.type))).toEqual([
      'queued',
      'running',
      'succeeded',
    ]);
    expect(calls).toBe(3);
  });

  it('ends at once, without polling, when the job read before had already ended', async () => {
    let calls = 0;
    const events = await lastValueFrom(
      followGeneration(async () => (calls++, job('running', 't1')), FAST, job('succeeded', 't2')).pipe(
        toArray(),
      ),
    );
    expect(events.map((e) => e.type === 'generation' && e.data.status)).toEqual(['succeeded']);
    expect(calls).toBe(0);
  });

  it('sends the problem and ends when the job cannot be read', async () => {
    const events = await lastValueFrom(
      followGeneration(() => Promise.reject(ProblemError.of(ErrorCode.NOT_FOUND, 'gone')), FAST).pipe(
        toArray(),
      ),
    );
    expect(events).toEqual([
      { type: 'problem', data: expect.objectContaining({ code: ErrorCode.NOT_FOUND }) },
    ]);
  });

  it('stops polling when the browser goes away', async () => {
    let calls = 0;
    const sub = followGeneration(async () => (calls++, job('running', 't1')), FAST).subscribe();
    await new Promise((r) => setTimeout(r, 30));
    sub.unsubscribe();
    const seen = calls;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(seen);
  });
});

describe('the pace of a followed job', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('never polls sooner than minDelayMs, and after a change waits the pace the job allows', async () => {
    // GIVEN a job that changes on every poll, a 1 s floor, and a pace of 2.5 s per change
    let calls = 0;
    const sub = followGeneration(
      async () => job('running', `t${++calls}`),
      {
        ...FAST,
        initialDelayMs: 10,
        minDelayMs: 1_000,
        maxDelayMs: 3_000,
        maxDurationMs: 60_000,
        pace: () => 2_500,
      },
      job('queued', 't0'),
    ).subscribe();
    // WHEN 11 s pass
    for (let i = 0; i < 110; i++) await jest.advanceTimersByTimeAsync(100);
    sub.unsubscribe();
    // THEN the generator was asked 4 times (every 2.5 s), not 1,000 times (every 10 ms)
    expect(calls).toBe(4);
  });
});
