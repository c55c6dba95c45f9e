import type { GeneratorClient } from '@imagegen/bff/data-access-generator';
import { ErrorCode, IMAGE_SERVICES, ProblemError, ServiceInfo } from '@imagegen/contracts';

import { ServicesService } from './services.service';

const INPAINT = 'stability.stable-image-inpaint-v1:0';

/** What the generator answers: every service measured at `p50Seconds`. */
const measured = (p50Seconds: number): ServiceInfo[] =>
  IMAGE_SERVICES.map((s) => ({
    id: s.id,
    eta: { p50Seconds, p90Seconds: p50Seconds * 2, samples: 12, source: 'measured', parallelism: 2 },
  }));

let clock = 0;
function sut(...replies: (() => Promise<unknown>)[]) {
  const gen = { calls: 0, services: () => replies[Math.min(gen.calls++, replies.length - 1)]() };
  const service = new ServicesService(gen as unknown as GeneratorClient, {
    ttlMs: 30_000,
    fallbackTtlMs: 5_000,
    waitMs: 1_000,
    now: () => clock,
  });
  return { gen, service };
}

beforeEach(() => (clock = 0));

describe(ServicesService.name, () => {
  it("keeps the generator's measured answer 30 s for every user, then asks again", async () => {
    const { gen, service } = sut(
      async () => measured(4),
      async () => measured(5),
    );
    const first = await service.list('r1');
    clock = 29_999;
    expect(await service.list('r2')).toBe(first);
    clock = 30_000;
    const fresh = await service.list('r3');
    expect(first.find((s) => s.id === INPAINT)?.eta).toMatchObject({ source: 'measured', p50Seconds: 4 });
    expect(fresh.find((s) => s.id === INPAINT)?.eta.p50Seconds).toBe(5);
    expect(gen.calls).toBe(2);
  });

  it.each([
    ['cannot be reached', () => Promise.reject(ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'down'))],
    ['answers something that is not a service list', async () => ({ message: 'Internal server error' })],
  ])("answers the catalog's figures for 5 s when the generator %s", async (_name, reply) => {
    const { gen, service } = sut(reply, async () => measured(4));
    const down = await service.list('r1');
    expect(down.map((s) => s.id)).toEqual(IMAGE_SERVICES.map((s) => s.id));
    expect(down.every((s) => s.eta.source === 'catalog')).toBe(true);
    expect(down.find((s) => s.id === INPAINT)?.eta.p50Seconds).toBe(
      IMAGE_SERVICES.find((s) => s.id === INPAINT)?.expectedSecondsPerImage,
    );
    clock = 5_000;
    expect((await service.list('r2')).find((s) => s.id === INPAINT)?.eta.source).toBe('measured');
    expect(gen.calls).toBe(2);
  });
});
