import { readFileSync } from 'node:fs';
import { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';

import { DESKTOP, newContext, useBrowser } from './support/browser';
import {
  APP_URL,
  bedrockStats,
  NO_FAULTS,
  objectsUnder,
  S3_ORIGIN,
  setFaults,
  setS3Clock,
} from './support/stack';

// Issue 5 through the real stack and the browser: my images, isolation, delete, idempotency,
// repeats, parameters inside the file, 200-job paging, and links that outlive their expiry.
const CORE = 'stability.stable-image-core-v1:1';

const browser = useBrowser();

beforeEach(async () => {
  await setFaults(NO_FAULTS);
  await setS3Clock(0);
});

afterEach(async () => {
  await setS3Clock(0);
});

interface Job {
  id: string;
  status: string;
  source?: string;
  repeatOf?: string;
  images: { url: string; thumbnailUrl?: string; seed: number }[];
}

/** The BFF from Node with this browser context's cookie (Playwright's request context shares it). */
function api(context: BrowserContext) {
  return {
    async create(
      body: Record<string, unknown>,
      headers: Record<string, string> = {},
    ): Promise<{ status: number; body: Job }> {
      const res = await context.request.post(`${APP_URL}/api/generations`, {
        data: body,
        headers: { 'idempotency-key': `e2e-${Math.random().toString(36).slice(2)}`, ...headers },
      });
      return { status: res.status(), body: await res.json() };
    },
    async get(id: string): Promise<{ status: number; body: Job }> {
      const res = await context.request.get(`${APP_URL}/api/generations/${id}`);
      return { status: res.status(), body: await res.json() };
    },
    async settled(id: string): Promise<Job> {
      for (let i = 0; i < 600; i++) {
        const { body } = await this.get(id);
        if (!['queued', 'running'].includes(body.status)) return body;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`job ${id} did not end`);
    },
    /** Every job of the owner, newest first, paged as the API pages them. */
    async all(): Promise<Job[]> {
      const jobs: Job[] = [];
      let cursor = '';
      do {
        const res = await context.request.get(
          `${APP_URL}/api/generations?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        const page = (await res.json()) as { items: Job[]; nextCursor?: string };
        jobs.push(...page.items);
        cursor = page.nextCursor ?? '';
      } while (cursor);
      return jobs;
    },
    async allIds(): Promise<string[]> {
      return (await this.all()).map((j) => j.id);
    },
  };
}

/** A person with their own cookie (a browser profile of their own). */
async function person(): Promise<{ context: BrowserContext; page: Page; api: ReturnType<typeof api> }> {
  const context = await newContext(browser(), DESKTOP);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: APP_URL });
  const page = await context.newPage();
  await page.goto(APP_URL);
  await page.getByTestId('prompt').waitFor();
  // The page's first call (the model list) gave this browser its owner cookie, which these calls share.
  await page.getByTestId('eta').waitFor();
  expect((await context.cookies()).map((c) => c.name)).toContain('imagegen_owner');
  return { context, page, api: api(context) };
}

const ownerPrefixOf = (url: string) =>
  decodeURIComponent(new URL(url).pathname)
    .replace(/^\/[^/]+\//, '')
    .replace(/[^/]+$/, '');

/** Every image in the page has loaded (decoded, non-zero size). */
async function everyImageLoaded(page: Page, testId: string): Promise<void> {
  await page.waitForFunction(
    (id) =>
      Array.from(document.querySelectorAll(`[data-testid="${id}"]`)).every(
        (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
      ),
    testId,
    { timeout: 30_000 },
  );
}

describe('my images', () => {
  it('lists what I made with its thumbnail, shows the HTML of a prompt as text, and reuses it with or without its seed', async () => {
    const { context, page } = await person();
    await page.getByTestId('prompt').fill('a gallery test <b>kite</b>');
    await page.getByTestId('generate').click();
    await page.getByTestId('result-image').first().waitFor({ timeout: 60_000 });

    // WHEN I open my images
    await page.getByTestId('nav-gallery').click();
    const item = page.getByTestId('gallery-item').first();
    await item.waitFor();
    // THEN my job is there, drawn from its small thumbnail on S3, and the prompt's HTML is text
    expect(await item.locator('.tile__prompt').textContent()).toBe('a gallery test <b>kite</b>');
    expect(await item.locator('b').count()).toBe(0);
    const src = (await item.getByTestId('gallery-image').getAttribute('src')) ?? '';
    expect(src.startsWith(S3_ORIGIN)).toBe(true);
    expect(src).toContain('.thumb.webp');
    await page.getByTestId('retention-note').filter({ hasText: '30 days' }).waitFor();
    await page.getByTestId('month-spent').filter({ hasText: '0.04' }).waitFor();

    // WHEN I reuse it from the tile: same prompt, a new seed
    await item.getByTestId('reuse').click();
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="prompt"]') as HTMLTextAreaElement | null)?.value ===
        'a gallery test <b>kite</b>',
    );
    expect(await page.getByTestId('seed').inputValue()).toBe('');

    // WHEN I open it and reuse it with the same seed
    await page.getByTestId('nav-gallery').click();
    await page.getByTestId('gallery-item').first().getByTestId('open-detail').click();
    const seed = (await page.getByTestId('detail-seed').textContent())?.match(/\d+/)?.[0];
    await page.getByTestId('reuse-seed').click();
    await page.waitForFunction(
      (s) => (document.querySelector('[data-testid="seed"]') as HTMLInputElement | null)?.value === s,
      seed,
    );
    await context.close();
  });

  it('keeps two owners apart: by list, by id, and by a guessed S3 key', async () => {
    const alice = await person();
    const bob = await person();
    const made = await alice.api.settled(
      (await alice.api.create({ modelId: CORE, prompt: 'alice only' })).body.id,
    );

    // Bob's gallery does not list it, his API answers 404 for its id, and the page says not found
    expect(await bob.api.allIds()).not.toContain(made.id);
    expect((await bob.api.get(made.id)).status).toBe(404);
    for (const [method, path] of [
      ['post', `/api/generations/${made.id}/cancel`],
      ['delete', `/api/generations/${made.id}`],
    ] as const) {
      expect((await bob.context.request[method](`${APP_URL}${path}`)).status()).toBe(404);
    }
    await bob.page.goto(`${APP_URL}/gallery/${made.id}`);
    await bob.page
      .getByText(/not found|no longer exists|cannot be found/i)
      .first()
      .waitFor();
    await bob.page.goto(`${APP_URL}/gallery`);
    await bob.page.getByText(/nothing yet/i).waitFor();
    expect(await bob.page.getByTestId('gallery-item').count()).toBe(0);

    // The object's key, guessed without a signature, is refused by S3
    const key = new URL(made.images[0].url);
    const bare = `${key.origin}${key.pathname}`;
    expect((await fetch(bare)).status).toBe(403);
    // Alice's own link still works
    expect((await fetch(made.images[0].url)).status).toBe(200);
    await alice.context.close();
    await bob.context.close();
  });

  it('deletes the record and every object of a job (checked on the S3 server) after a confirmation', async () => {
    const { context, page, api: mine } = await person();
    const made = await mine.settled(
      (await mine.create({ modelId: CORE, prompt: 'to be deleted', count: 2 })).body.id,
    );
    const prefix = ownerPrefixOf(made.images[0].url);
    expect(await objectsUnder(prefix)).toHaveLength(4); // two images, two thumbnails

    await page.goto(`${APP_URL}/gallery/${made.id}`);
    await page.getByTestId('detail-prompt').waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('delete').click();
    await page.waitForURL(`${APP_URL}/gallery`);

    expect(await objectsUnder(prefix)).toEqual([]);
    expect((await mine.get(made.id)).status).toBe(404);
    await context.close();
  });

  it('makes one job and one model call for a retried request with the same Idempotency-Key, and for a double click', async () => {
    const { context, page, api: mine } = await person();
    const before = (await bedrockStats()).invocations;
    const headers = { 'idempotency-key': 'e2e-retry-key-0001' };
    const first = await mine.create({ modelId: CORE, prompt: 'once, whatever happens' }, headers);
    const retry = await mine.create({ modelId: CORE, prompt: 'once, whatever happens' }, headers);
    expect(retry.body.id).toBe(first.body.id);
    await mine.settled(first.body.id);
    expect((await bedrockStats()).invocations - before).toBe(1);

    // A double click on Generate makes one job
    const jobsBefore = (await mine.allIds()).length;
    await page.getByTestId('prompt').fill('a double click');
    await page.getByTestId('generate').dblclick();
    await page.getByTestId('result-image').first().waitFor({ timeout: 60_000 });
    expect((await mine.allIds()).length).toBe(jobsBefore + 1);
    await context.close();
  });

  it('answers a repeat with the same seed from the store: zero model calls, marked as such, cost 0', async () => {
    const { context, page } = await person();
    await page.getByTestId('prompt').fill('a repeat from the store');
    await page.getByTestId('seed').fill('31337');
    await page.getByTestId('generate').click();
    await page.getByTestId('result-image').first().waitFor({ timeout: 60_000 });
    const firstSrc = await page.getByTestId('result-image').first().getAttribute('src');

    const before = (await bedrockStats()).invocations;
    await page.getByTestId('generate').click();
    await page.getByTestId('repeat-note').waitFor();
    await everyImageLoaded(page, 'result-image');
    expect((await bedrockStats()).invocations).toBe(before);
    expect(await page.getByTestId('job-cost').textContent()).toMatch(/0\.00|free|no cost/i);
    expect(await page.getByTestId('result-image').first().getAttribute('src')).not.toBe(firstSrc);
    await context.close();
  });

  it('downloads a PNG named after the prompt and seed that carries its parameters', async () => {
    const { context, page } = await person();
    await page.getByTestId('prompt').fill('Harbour lights, rainy night: café <i>sign</i>');
    await page.getByTestId('seed').fill('2024');
    await page.getByTestId('generate').click();
    await everyImageLoaded(page, 'result-image');
    await page.getByTestId('result-image').first().waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download').first().click(),
    ]);
    expect(download.suggestedFilename()).toBe('harbour-lights-rainy-night-cafe-sign-2024.png');
    // libvips (what image tools build on) reads the PNG's "parameters" text back
    const { comments, width } = await sharp(readFileSync((await download.path()) ?? '')).metadata();
    expect(width).toBe(1536);
    expect(comments?.find((c) => c.keyword === 'parameters')?.text).toMatch(
      /^Harbour lights, rainy night: café <i>sign<\/i>\nSeed: 2024, Size: 1536x1536, Aspect ratio: 1:1, Model: stability\.stable-image-core-v1:1, Created: /,
    );
    await context.close();
  });

  it('pages a gallery of 200 jobs with no duplicate and no gap, and shows every image after its links expired', async () => {
    const { context, page, api: mine } = await person();
    // GIVEN 200 finished jobs (1 MP images: quicker to draw than Core's 2.4 MP)
    const created: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          mine.create({ modelId: 'stability.sd3-5-large-v1:0', prompt: `gallery job ${i + j}` }),
        ),
      );
      created.push(...batch.map((b) => b.body.id));
    }
    for (let i = 0; i < 300 && (await mine.all()).some((j) => ['queued', 'running'].includes(j.status)); i++)
      await page.waitForTimeout(200);
    await page.clock.install();

    // WHEN I open the gallery, and its links expire while the page stays open (an hour, for S3 and the browser)
    await page.goto(`${APP_URL}/gallery`);
    await page.getByTestId('gallery-item').first().waitFor();
    await setS3Clock(3600);
    await page.clock.fastForward('01:00:00');

    // AND I scroll to the end
    for (let rounds = 0; rounds < 40 && (await page.getByTestId('load-more').count()) > 0; rounds++) {
      // (the button is rendered again as a page arrives: one that went away meanwhile is found again next round)
      await page
        .getByTestId('load-more')
        .scrollIntoViewIfNeeded({ timeout: 5_000 })
        .catch(() => undefined);
      await page.waitForTimeout(200);
    }
    // THEN every job is listed once, in the order the API pages them (newest first)
    const shown = await page
      .getByTestId('gallery-item')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(shown).toHaveLength(200);
    expect(new Set(shown).size).toBe(200);
    expect(shown).toEqual(await mine.allIds());
    expect(new Set(shown)).toEqual(new Set(created));

    // AND every tile's image shows, though the links of the first page had expired before they loaded
    const tiles = page.getByTestId('gallery-image');
    for (let i = 0; i < (await tiles.count()); i += 6) await tiles.nth(i).scrollIntoViewIfNeeded();
    await tiles.last().scrollIntoViewIfNeeded();
    await everyImageLoaded(page, 'gallery-image');
    await context.close();
  });

  it('refreshes the links of a job left open past their expiry, so its image and share link keep working', async () => {
    const { context, page, api: mine } = await person();
    const made = await mine.settled(
      (await mine.create({ modelId: CORE, prompt: 'left open for an hour' })).body.id,
    );
    await page.clock.install();
    await page.goto(`${APP_URL}/gallery/${made.id}`);
    await everyImageLoaded(page, 'result-image');
    const before = (await page.getByTestId('result-image').first().getAttribute('src')) ?? '';

    // WHEN an hour passes (S3's clock and the browser's)
    await setS3Clock(3600);
    await page.clock.fastForward('01:00:00');

    // THEN the old link is refused by S3, and the page shows a new one that works
    expect((await fetch(before)).status).toBe(403);
    await page.waitForFunction(
      (old) =>
        (document.querySelector('[data-testid="result-image"]') as HTMLImageElement | null)?.src !== old,
      before,
      { timeout: 30_000 },
    );
    await everyImageLoaded(page, 'result-image');
    const after = (await page.getByTestId('result-image').first().getAttribute('src')) ?? '';
    expect((await fetch(after)).status).toBe(200);

    // AND a copied share link is a live one
    await page.getByTestId('copy-link').first().click();
    await page.getByTestId('link-expiry').first().waitFor();
    let copied = '';
    for (let i = 0; i < 50 && !copied.startsWith(S3_ORIGIN); i++) {
      copied = await page.evaluate(() => navigator.clipboard.readText());
      if (!copied.startsWith(S3_ORIGIN)) await page.waitForTimeout(100);
    }
    expect(copied).toMatch(new RegExp(`^${S3_ORIGIN}/`));
    expect((await fetch(copied)).status).toBe(200);
    await context.close();
  });
});
