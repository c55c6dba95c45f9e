import { catalogEta, ErrorCode, Generation, MODEL_CATALOG, ModelInfo, problem } from '@imagegen/contracts';

import { formatDay, formatTime } from './dates';
import { imageSlots, outcomeSummary, statusLabel } from './job-outcome';
import { needsFreshLinks } from './links';
import { isCallable, pickableModels, unavailableText } from './models';
import { costText, formatUsd } from './money';
import { failureReason, userMessage } from './problem-messages';
import { jobProgress, jobTiming, timingOfJob, UNKNOWN_JOB_TIMING } from './progress';

const CORE = 'stability.stable-image-core-v1:1';

function job(over: Partial<Generation> = {}): Generation {
  return {
    id: 'g1',
    status: 'succeeded',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:05Z',
    modelId: CORE,
    request: { modelId: CORE, prompt: 'a cat', aspectRatio: '1:1', count: 4, outputFormat: 'png' },
    images: [],
    estimatedCostUsd: 0.16,
    ...over,
  };
}

function image(index: number, urlExpiresAt = '2026-11-24T10:15:00Z') {
  return {
    id: `i${index}`,
    index,
    url: `u${index}`,
    urlExpiresAt,
    width: 1,
    height: 1,
    seed: 10 + index,
    bytes: 1,
    format: 'png' as const,
  };
}

const filtered = (index: number) => ({ index, seed: 99, error: problem(ErrorCode.CONTENT_FILTERED) });

describe(outcomeSummary.name, () => {
  it('says how many of the images were made and why the others were not', () => {
    // GIVEN 3 of 4 images made and 1 blocked by the content filter
    const partial = job({ images: [image(0), image(1), image(3)], failures: [filtered(2)] });
    // THEN the summary says so
    expect(outcomeSummary(partial)).toBe('3 of 4 made · 1 blocked by the content filter');
  });

  it('groups failures by reason', () => {
    const failures = [
      filtered(1),
      filtered(2),
      { index: 3, seed: 1, error: problem(ErrorCode.MODEL_TIMEOUT) },
    ];
    expect(outcomeSummary(job({ status: 'succeeded', images: [image(0)], failures }))).toBe(
      '1 of 4 made · 2 blocked by the content filter · 1 the model took too long',
    );
  });

  it('counts images so far while the job runs, and says when it was cancelled', () => {
    expect(outcomeSummary(job({ status: 'running', images: [image(2)] }))).toBe('1 of 4 made so far');
    expect(outcomeSummary(job({ status: 'cancelled', images: [image(0)] }))).toBe('Cancelled after 1 of 4');
    expect(outcomeSummary(job({ status: 'cancelled', images: [] }))).toBe(
      'Cancelled before any image was made',
    );
  });

  it('says nothing extra for a one-image job', () => {
    expect(outcomeSummary(job({ request: { ...job().request, count: 1 }, images: [image(0)] }))).toBe('');
  });
});

describe(imageSlots.name, () => {
  it('puts images in index order whatever order they arrived in, with pending slots while running', () => {
    const slots = imageSlots(
      job({ status: 'running', images: [image(3), image(1)], failures: [filtered(0)] }),
    );
    expect(slots.map((s) => s.state)).toEqual(['failed', 'made', 'pending', 'made']);
    expect(slots.map((s) => s.index)).toEqual([0, 1, 2, 3]);
  });

  it('marks images never made once the job ended', () => {
    expect(imageSlots(job({ status: 'cancelled', images: [image(0)] })).map((s) => s.state)).toEqual([
      'made',
      'missing',
      'missing',
      'missing',
    ]);
  });
});

describe(statusLabel.name, () => {
  it('names every status in plain words', () => {
    expect(
      ['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) =>
        statusLabel(s as Generation['status']),
      ),
    ).toEqual(['Queued', 'Generating', 'Done', 'Failed', 'Cancelled']);
  });
});

describe(jobProgress.name, () => {
  const timing = { expectedSeconds: 10, slowAfterSeconds: 15 };

  it('moves with the elapsed time up to 90 % at the expected time', () => {
    expect(jobProgress(0, timing).percent).toBe(0);
    expect(jobProgress(5, timing).percent).toBe(45);
    expect(jobProgress(10, timing).percent).toBe(90);
  });

  it('never reaches 100 % however long the job takes, and never goes back', () => {
    const values = [10, 11, 20, 60, 600, 100_000].map((s) => jobProgress(s, timing).percent);
    expect(values.every((v) => v < 100)).toBe(true);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
  });

  it('says "taking longer than usual" only past the slow mark', () => {
    expect(jobProgress(15, timing).slow).toBe(false);
    expect(jobProgress(16, timing).slow).toBe(true);
  });
});

describe(jobTiming.name, () => {
  it('expects rounds of the parallelism at the median, and is slow past the p90 of those rounds', () => {
    const eta = { p50Seconds: 6, p90Seconds: 9, samples: 20, source: 'measured' as const, parallelism: 2 };
    expect(jobTiming(eta, 4)).toEqual({ expectedSeconds: 12, slowAfterSeconds: 18 });
    expect(jobTiming(eta, 1)).toEqual({ expectedSeconds: 6, slowAfterSeconds: 9 });
  });
});

describe(timingOfJob.name, () => {
  const core = {
    ...MODEL_CATALOG.find((m) => m.id === CORE),
    eta: { p50Seconds: 6, p90Seconds: 9, samples: 20, source: 'measured' as const, parallelism: 2 },
  } as ModelInfo;

  it('measures a job against its model’s ETA for its own image count', () => {
    expect(timingOfJob(job(), core)).toEqual({ expectedSeconds: 12, slowAfterSeconds: 18 });
  });

  it('falls back to a plain guess when the model is not known (yet)', () => {
    expect(timingOfJob(job(), undefined)).toEqual(UNKNOWN_JOB_TIMING);
    expect(UNKNOWN_JOB_TIMING).toEqual({ expectedSeconds: 10, slowAfterSeconds: 15 });
  });
});

describe(formatUsd.name, () => {
  it('shows cents, and tenths of a cent only when needed', () => {
    expect(formatUsd(0.12)).toBe('US$ 0.12');
    expect(formatUsd(0)).toBe('US$ 0.00');
    expect(formatUsd(0.035)).toBe('US$ 0.035');
    expect(formatUsd(0.14 * 3)).toBe('US$ 0.42');
  });

  it('shows the real cost once known, the estimate before, and a free repeat as such', () => {
    expect(costText(job({ status: 'running' }))).toBe('≈ US$ 0.16');
    expect(costText(job({ costUsd: 0.12 }))).toBe('US$ 0.12');
    expect(costText(job({ costUsd: 0, source: 'store' }))).toBe('US$ 0.00 (no model call)');
  });
});

describe(needsFreshLinks.name, () => {
  const j = job({ images: [image(0, '2026-11-24T10:15:00Z'), image(1, '2026-11-24T10:20:00Z')] });

  it('is false while every link has more than a minute to live', () => {
    expect(needsFreshLinks(j, Date.parse('2026-11-24T10:13:59Z'))).toBe(false);
  });

  it('is true when the first link expires within a minute, or has expired', () => {
    expect(needsFreshLinks(j, Date.parse('2026-11-24T10:14:00Z'))).toBe(true);
    expect(needsFreshLinks(j, Date.parse('2026-11-24T11:00:00Z'))).toBe(true);
    expect(needsFreshLinks(job({ images: [] }), Date.parse('2030-01-01T00:00:00Z'))).toBe(false);
  });
});

describe(isCallable.name, () => {
  const base = MODEL_CATALOG[0];
  const info = (availability: ModelInfo['availability'], lifecycle = base.lifecycle): ModelInfo => ({
    ...base,
    lifecycle,
    availability,
    available: availability === 'available',
    eta: catalogEta(base, 4),
  });

  it('lets a person pick available and unknown models, not those without access or in the wrong region', () => {
    expect(
      ['available', 'unknown', 'no-access', 'wrong-region'].map((a) =>
        isCallable(info(a as ModelInfo['availability'])),
      ),
    ).toEqual([true, true, false, false]);
  });

  it('hides retired models from the picker', () => {
    const models = [
      info('available'),
      info('retired'),
      info('available', { state: 'retired' }),
      info('no-access'),
    ];
    expect(pickableModels(models).map((m) => m.availability)).toEqual(['available', 'no-access']);
  });

  it('says how to enable a model, preferring the server’s own words', () => {
    expect(unavailableText(info('no-access'))).toMatch(/not authorized/);
    expect(unavailableText({ ...info('wrong-region'), unavailableReason: 'Use us-west-2.' })).toBe(
      'Use us-west-2.',
    );
  });
});

describe(userMessage.name, () => {
  it.each([
    [ErrorCode.CONTENT_FILTERED, /content filter: edit the prompt/],
    [ErrorCode.MODEL_THROTTLED, /busy: retrying/],
    [ErrorCode.MODEL_ACCESS_DENIED, /first use starts an AWS Marketplace subscription/],
    [ErrorCode.SERVICE_UNAVAILABLE, /unavailable for a moment: try again/],
    [ErrorCode.INTERNAL, /on our side/],
    [ErrorCode.UNSUPPORTED_MEDIA_TYPE, /Only JPEG, PNG and WebP images can be edited/],
  ])('says %s in words a person understands', (code, message) => {
    expect(userMessage(problem(code)).message).toMatch(message);
  });

  it.each([
    [ErrorCode.INPUT_IMAGE_FILTERED, /^Your image was blocked/],
    [ErrorCode.INPUT_IMAGE_UNREADABLE, /empty, cut short or damaged/],
    [ErrorCode.INPUT_IMAGE_TYPE, /not a JPEG, PNG or WebP image/],
    [ErrorCode.INPUT_IMAGE_TOO_LARGE, /too many pixels/],
    [ErrorCode.INPUT_IMAGE_ANIMATED, /Animated images cannot be edited/],
    [ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS, /size limits: let the app fit it/],
  ])('says the image problem %s in words, never the generic one', (code, message) => {
    const said = userMessage(problem(code));
    expect(said.message).toMatch(message);
    expect(said.retryable).toBe(false);
    expect(failureReason(problem(code))).not.toBe('failed');
  });

  it('tells an image too large from a prompt too long by the field the problem names', () => {
    const image = problem(ErrorCode.PAYLOAD_TOO_LARGE, 'x', {
      errors: [{ field: 'bytes', rule: 'max', message: 'too big' }],
    });
    expect(userMessage(image)).toMatchObject({ title: 'Image too large', message: /larger than 30 MB/ });
    expect(userMessage(problem(ErrorCode.PAYLOAD_TOO_LARGE)).message).toMatch(/shorten the prompt/);
  });

  it('says which limit an image is outside of, in the server’s words', () => {
    const p = problem(ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS, 'each side must be at least 64 px');
    expect(userMessage(p).message).toBe(
      'Each side must be at least 64 px. Let the app fit the image, or choose another one.',
    );
  });
});

describe(formatDay.name, () => {
  it('says dates and times in the reader’s locale, and nothing for a date that is not one', () => {
    expect(formatDay('2026-12-24T10:00:00Z')).toMatch(/2026/);
    expect(formatTime('2026-11-24T10:15:00Z')).toMatch(/\d{1,2}:15/);
    expect(formatDay('x')).toBe('');
    expect(formatTime('')).toBe('');
  });
});

describe('timingOfJob behind a queue', () => {
  it('moves the expected time and the slow mark by the wait the queue ahead was expected to take', () => {
    const job = { request: { count: 1 } } as Pick<Generation, 'request'>;
    const alone = timingOfJob(job, undefined);
    const behind = timingOfJob(job, undefined, 42);
    expect(behind.expectedSeconds - alone.expectedSeconds).toBe(42);
    expect(behind.slowAfterSeconds - alone.slowAfterSeconds).toBe(42);
    // 50 s into a job that waited 42 s for its turn: not "taking longer than usual" yet
    expect(jobProgress(50, behind).slow).toBe(false);
    expect(jobProgress(50, alone).slow).toBe(true);
  });
});
