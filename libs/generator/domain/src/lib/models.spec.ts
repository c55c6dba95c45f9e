import { catalogEta, expectedJobSeconds, findImageService, IMAGE_SERVICES } from '@imagegen/contracts';

import { FakeDeps, fakeDeps, fakePng, runAll } from '../testing';
import { createEdit, createUpload } from './edits';
import { uploadKey } from './generation-view';
import { listModels, listServices, ownerSummary, percentile } from './models';
import { createGeneration } from './use-cases';

const CORE = 'stability.stable-image-core-v1:1';
const SD35 = 'stability.sd3-5-large-v1:0';

describe(percentile.name, () => {
  it('answers the nearest-rank percentile whatever the order', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([10, 1, 2, 3, 4, 5, 6, 7, 8, 9], 90)).toBe(9);
    expect(percentile([7], 90)).toBe(7);
  });
});

describe(listModels.name, () => {
  it('marks retired models, models without access and models of another region, with a reason to act on', async () => {
    const sut = fakeDeps();
    sut.access.answers.set(SD35, { availability: 'no-access', reason: 'Not authorized by IAM' });
    sut.access.answers.set('stability.stable-image-ultra-v1:1', {
      availability: 'wrong-region',
      reason: 'served in us-west-2',
    });
    const models = await listModels(sut);
    const by = (id: string) => models.find((m) => m.id === id);
    expect(by(CORE)).toMatchObject({ available: true, availability: 'available' });
    expect(by(SD35)).toMatchObject({
      available: false,
      availability: 'no-access',
      unavailableReason: 'Not authorized by IAM',
    });
    expect(by('stability.stable-image-ultra-v1:1')).toMatchObject({
      available: false,
      availability: 'wrong-region',
    });
    expect(by('stability.stable-diffusion-xl-v1')).toMatchObject({
      available: false,
      availability: 'retired',
      unavailableReason: expect.stringContaining('2025-05-20'),
    });
  });

  it("treats a control plane that could not be asked as callable (the model's own answer decides)", async () => {
    const sut = fakeDeps();
    sut.access.answers.set(CORE, { availability: 'unknown' });
    expect((await listModels(sut)).find((m) => m.id === CORE)).toMatchObject({
      available: true,
      availability: 'unknown',
    });
  });

  it('starts from the catalog ETA, then uses the p50/p90 of the recent images of that model', async () => {
    const sut = fakeDeps();
    const before = (await listModels(sut)).find((m) => m.id === CORE);
    expect(before?.eta).toEqual({
      p50Seconds: 6,
      p90Seconds: 9,
      samples: 0,
      source: 'catalog',
      parallelism: 4,
    });

    const at = sut.clock.now().toISOString();
    for (const ms of [1000, 2000, 3000, 4000, 10_000]) await sut.usage.recordDuration(CORE, ms, at);
    await sut.usage.recordDuration(SD35, 99_000, at);
    const after = (await listModels(sut)).find((m) => m.id === CORE);
    expect(after?.eta).toEqual({
      p50Seconds: 3,
      p90Seconds: 10,
      samples: 5,
      source: 'measured',
      parallelism: 4,
    });
    // A job of 4 at parallelism 4 takes one round; a job of 4 at parallelism 2 takes two
    expect(expectedJobSeconds(after!.eta, 4)).toBe(3);
    expect(expectedJobSeconds({ ...after!.eta, parallelism: 2 }, 4)).toBe(6);
  });

  it('forgets durations older than the window', async () => {
    const sut = fakeDeps();
    const old = sut.clock.now().toISOString();
    for (const ms of [1000, 1000, 1000]) await sut.usage.recordDuration(CORE, ms, old);
    sut.advance(8 * 86_400_000);
    expect((await listModels(sut)).find((m) => m.id === CORE)?.eta.source).toBe('catalog');
  });
});

describe(listServices.name, () => {
  const INPAINT = 'stability.stable-image-inpaint-v1:0';
  const OUTPAINT = 'stability.stable-outpaint-v1:0';

  /** `n` inpaints of an upload of the owner, each run to the end by the worker. */
  async function inpaints(deps: FakeDeps, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const bytes = fakePng(512, 512);
      const ticket = await createUpload(deps, 'anon-a', { contentType: 'image/png', bytes: bytes.length });
      await deps.store.put(uploadKey('anon-a', ticket.uploadId), bytes, 'image/png');
      const body = { serviceId: INPAINT, image: { uploadId: ticket.uploadId }, params: { prompt: 'a door' } };
      await createEdit(deps, 'anon-a', body, `r${i}`);
      await runAll(deps);
    }
  }

  it('answers every Image Service with its catalog ETA before any edit ran', async () => {
    const sut = fakeDeps();
    const services = await listServices(sut);
    expect(services.map((s) => s.id)).toEqual(IMAGE_SERVICES.map((s) => s.id));
    for (const s of IMAGE_SERVICES)
      expect(services.find((x) => x.id === s.id)?.eta).toEqual(catalogEta(s, 4));
  });

  it("measures a service from its own edits' durations once enough ran, the others keep the catalog's", async () => {
    // GIVEN two inpaints: too few to trust
    const sut = fakeDeps();
    await inpaints(sut, 2);
    const by = async (id: string) => (await listServices(sut)).find((s) => s.id === id)?.eta;
    expect(await by(INPAINT)).toMatchObject({ source: 'catalog', samples: 0 });

    // WHEN a third ends
    await inpaints(sut, 1);

    // THEN inpaint answers the p50/p90 of its three images (recorded under the service id), outpaint its catalog figure
    const durations = await sut.usage.recentDurations(INPAINT, 50, '2026-01-01T00:00:00.000Z');
    expect(durations).toHaveLength(3);
    const inpaint = await by(INPAINT);
    expect(inpaint).toMatchObject({ source: 'measured', samples: 3, parallelism: 4 });
    expect(inpaint?.p90Seconds).toBe(Math.max(...durations) / 1000);
    const outpaint = findImageService(OUTPAINT);
    expect(await by(OUTPAINT)).toEqual(outpaint && catalogEta(outpaint, 4));
    expect(outpaint).toBeDefined();
  });
});

describe(ownerSummary.name, () => {
  it('says how long images are kept and what the owner spent this month on images actually made', async () => {
    const sut = fakeDeps();
    await createGeneration(sut, 'anon-a', { modelId: CORE, prompt: 'one', count: 3 }, 'r');
    await createGeneration(sut, 'anon-b', { modelId: CORE, prompt: 'other owner' }, 'r');
    await runAll(sut);
    expect(await ownerSummary(sut, 'anon-a')).toEqual({
      retentionDays: 30,
      presignExpirySeconds: 900,
      month: '2026-11',
      spentUsd: 0.12,
      images: 3,
    });
    expect(await ownerSummary(sut, 'anon-nobody')).toMatchObject({ spentUsd: 0, images: 0 });
  });
});
