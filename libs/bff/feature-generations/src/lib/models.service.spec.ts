import type { GeneratorClient } from '@imagegen/bff/data-access-generator';
import { catalogEta, ErrorCode, MODEL_CATALOG, ModelInfo, ProblemError } from '@imagegen/contracts';

import { catalogModelInfos, ModelsCacheOptions, ModelsService } from './models.service';

const CORE = 'stability.stable-image-core-v1:1';
const SDXL = 'stability.stable-diffusion-xl-v1';

/** What the generator answers: every catalog model, measured and callable. */
const measured = (p50Seconds: number): ModelInfo[] =>
  MODEL_CATALOG.map((m) => ({
    ...m,
    available: true,
    availability: 'available',
    eta: { p50Seconds, p90Seconds: p50Seconds * 2, samples: 20, source: 'measured', parallelism: 2 },
  }));

/** A generator whose `models` answers the queued replies in turn, counting the calls. */
function generator(...replies: (() => Promise<unknown>)[]) {
  const fake = { calls: 0, models: () => replies[Math.min(fake.calls++, replies.length - 1)]() };
  return fake;
}

let clock = 0;
const sut = (gen: { models: () => Promise<unknown> }, options: Partial<ModelsCacheOptions> = {}) =>
  new ModelsService(gen as unknown as GeneratorClient, {
    ttlMs: 30_000,
    fallbackTtlMs: 5_000,
    waitMs: 1_000,
    now: () => clock,
    ...options,
  });

beforeEach(() => (clock = 0));

describe(ModelsService.name, () => {
  it("answers the generator's list, and asks again only when it is 30 s old", async () => {
    // GIVEN a generator that answers 6 s, then 7 s per image
    const gen = generator(
      async () => measured(6),
      async () => measured(7),
    );
    const service = sut(gen);
    // WHEN users ask at 0 s, 29 s and 30 s
    const first = await service.list('r1');
    clock = 29_999;
    const cached = await service.list('r2');
    clock = 30_000;
    const fresh = await service.list('r3');
    // THEN the second is the cached answer, the third a new one
    expect(first.find((m) => m.id === CORE)?.eta.p50Seconds).toBe(6);
    expect(cached).toBe(first);
    expect(fresh.find((m) => m.id === CORE)?.eta.p50Seconds).toBe(7);
    expect(gen.calls).toBe(2);
  });

  it('asks the generator once for users who ask at the same time', async () => {
    // GIVEN a generator that answers when released
    let release!: () => void;
    const gen = generator(() => new Promise((r) => (release = () => r(measured(6)))));
    const service = sut(gen);
    // WHEN three users ask before it answers
    const answers = Promise.all([service.list('a'), service.list('b'), service.list('c')]);
    release();
    // THEN they all get the one answer
    const [a, b, c] = await answers;
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(gen.calls).toBe(1);
  });

  it.each([
    ['cannot be reached', () => Promise.reject(ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'down'))],
    ['answers something that is not a model list', async () => ({ message: 'Internal server error' })],
    ['answers an empty list', async () => []],
    ['does not answer in time', () => new Promise<never>(() => undefined)],
  ])(
    'answers the catalog, retired models unavailable and the others unknown, when the generator %s',
    async (_name, reply) => {
      // GIVEN a generator that fails that way
      const service = sut(generator(reply), { waitMs: 10 });
      // WHEN a user asks
      const models = await service.list('r');
      // THEN every catalog model is there with its catalog ETA, and only the retired one is unavailable
      expect(models.map((m) => m.id)).toEqual(MODEL_CATALOG.map((m) => m.id));
      expect(models.find((m) => m.id === SDXL)).toMatchObject({
        available: false,
        availability: 'retired',
        unavailableReason: expect.stringContaining('Retired by Amazon Bedrock on 2025-05-20'),
      });
      const core = models.find((m) => m.id === CORE);
      expect(core).toMatchObject({ available: true, availability: 'unknown' });
      expect(core?.eta).toEqual({
        p50Seconds: 6,
        p90Seconds: 9,
        samples: 0,
        source: 'catalog',
        parallelism: 1,
      });
    },
  );

  it('keeps the stand-in answer only 5 s, then asks the generator again', async () => {
    // GIVEN a generator that is down, then back
    const gen = generator(
      () => Promise.reject(ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'down')),
      async () => measured(8),
    );
    const service = sut(gen);
    // WHEN users ask at 0 s, 4.9 s and 5 s
    expect((await service.list('a')).find((m) => m.id === CORE)?.availability).toBe('unknown');
    clock = 4_999;
    expect((await service.list('b')).find((m) => m.id === CORE)?.availability).toBe('unknown');
    clock = 5_000;
    // THEN the third gets the generator's answer
    expect((await service.list('c')).find((m) => m.id === CORE)).toMatchObject({
      availability: 'available',
      eta: expect.objectContaining({ p50Seconds: 8 }),
    });
    expect(gen.calls).toBe(2);
  });

  it('keeps a late answer of the generator for the next users', async () => {
    // GIVEN a generator that answers after the wait
    let release!: () => void;
    const service = sut(
      generator(() => new Promise((r) => (release = () => r(measured(5))))),
      { waitMs: 10 },
    );
    // WHEN the first user gets the stand-in answer, then the generator answers
    expect((await service.list('a')).find((m) => m.id === CORE)?.availability).toBe('unknown');
    release();
    await new Promise((r) => setImmediate(r));
    // THEN the next user gets the generator's answer, without a new question
    expect((await service.list('b')).find((m) => m.id === CORE)?.availability).toBe('available');
  });
});

describe(catalogModelInfos.name, () => {
  it('gives every model its catalog ETA for one image at a time', () => {
    for (const info of catalogModelInfos()) {
      const entry = MODEL_CATALOG.find((m) => m.id === info.id);
      expect(entry).toBeDefined();
      if (entry) expect(info.eta).toEqual(catalogEta(entry, 1));
    }
  });
});
