import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';

import { seriousViolations } from './support/axe';
import { DESKTOP, newContext, PHONE, useBrowser } from './support/browser';
import { deleteObject } from './support/s3';
import {
  APP_URL,
  ARTIFACTS,
  E2E_PORTS,
  NO_FAULTS,
  objectsUnder,
  S3_ORIGIN,
  setFaults,
} from './support/stack';

// Issue 12 through the real stack and the browser: an image uploaded by presigned POST, a mask painted with
// the mouse and with a finger at 360 px, inpaint that changes only the masked pixels, outpaint, remove
// background, every upscaler, a control and a style service, lineage, and every bad upload refused.
const INPAINT = 'stability.stable-image-inpaint-v1:0';
const OUTPAINT = 'stability.stable-outpaint-v1:0';
const REMOVE_BG = 'stability.stable-image-remove-background-v1:0';
const STRUCTURE = 'stability.stable-image-control-structure-v1:0';
const STYLE_TRANSFER = 'stability.stable-style-transfer-v1:0';
const UPSCALERS = [
  ['stability.stable-fast-upscale-v1:0', { width: 1024, height: 768 }],
  ['stability.stable-conservative-upscale-v1:0', { width: 4096, height: 3072 }],
  ['stability.stable-creative-upscale-v1:0', { width: 4096, height: 3072 }],
] as const;

const FILES = join(ARTIFACTS, 'edit-inputs');

const browser = useBrowser();

beforeAll(() => mkdirSync(FILES, { recursive: true }));
beforeEach(async () => {
  await setFaults(NO_FAULTS);
});

// ── input files ─────────────────────────────────────────────────────────────────────────────────────────

/** An opaque PNG whose every pixel differs from its neighbours (so a changed pixel cannot hide). */
async function patternPng(name: string, width: number, height: number): Promise<string> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = (x * 7 + y * 13) & 255;
    }
  const path = join(FILES, name);
  writeFileSync(
    path,
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
  return path;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A decompression bomb: a well-formed PNG header claiming 100,000 × 100,000 px, and almost no data. */
function bombPng(): string {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  const path = join(FILES, 'bomb.png');
  writeFileSync(path, png);
  return path;
}

function fileOf(name: string, bytes: Buffer): string {
  const path = join(FILES, name);
  writeFileSync(path, bytes);
  return path;
}

// ── the editor ──────────────────────────────────────────────────────────────────────────────────────────

async function openEditor(page: Page): Promise<void> {
  await page.goto(`${APP_URL}/edit`);
  await page.getByTestId('upload-input').waitFor({ state: 'attached' });
  // A new browser's first calls each make an owner (the last cookie wins): uploads wait for them to end.
  await page.waitForLoadState('networkidle');
}

/** Uploads a file through the page's picker and waits for the checked image's size. */
async function uploadByPage(page: Page, path: string, size: string): Promise<void> {
  await page.getByTestId('upload-input').setInputFiles(path);
  await page.getByTestId('source-size').filter({ hasText: size }).waitFor({ timeout: 30_000 });
  await page.waitForURL(/[?&]upload=up[0-9a-z]+/, { waitUntil: 'commit' });
}

async function pick(page: Page, serviceId: string): Promise<void> {
  await page.getByTestId('service-select').selectOption(serviceId);
}

/** The canvas's area on screen, scrolled into view. */
async function canvasBox(page: Page) {
  const canvas = page.getByTestId('mask-canvas');
  await canvas.scrollIntoViewIfNeeded();
  await page.getByTestId('mask-image').waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="mask-image"]') as HTMLImageElement | null;
    return !!img && img.complete && img.naturalWidth > 0;
  });
  const box = await page.getByTestId('mask-image').boundingBox();
  if (!box) throw new Error('the image is not on screen');
  return box;
}

/** A horizontal stroke across the middle of the image, from 30 % to 70 % of its width. */
function strokePoints(box: { x: number; y: number; width: number; height: number }) {
  const y = box.y + box.height / 2;
  return Array.from({ length: 12 }, (_, i) => ({ x: box.x + box.width * (0.3 + (0.4 * i) / 11), y }));
}

async function paintWithMouse(page: Page): Promise<void> {
  const points = strokePoints(await canvasBox(page));
  await page.mouse.move(points[0].x, points[0].y);
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(p.x, p.y, { steps: 3 });
  await page.mouse.up();
}

/** One finger drawing the same stroke: touch events, which Chromium turns into pointer events of type touch. */
async function paintWithFinger(context: BrowserContext, page: Page): Promise<void> {
  const points = strokePoints(await canvasBox(page));
  const cdp = await context.newCDPSession(page);
  const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', p?: { x: number; y: number }) =>
    cdp.send('Input.dispatchTouchEvent', {
      type,
      touchPoints: p
        ? [{ x: Math.round(p.x), y: Math.round(p.y), id: 1, radiusX: 4, radiusY: 4, force: 0.5 }]
        : [],
    });
  await touch('touchStart', points[0]);
  for (const p of points.slice(1)) await touch('touchMove', p);
  await touch('touchEnd');
  await cdp.detach();
}

async function send(page: Page): Promise<void> {
  const button = page.getByTestId('send-edit');
  await page.waitForFunction(
    () => !(document.querySelector('[data-testid="send-edit"]') as HTMLButtonElement | null)?.disabled,
    undefined,
    { timeout: 10_000 },
  );
  await button.click();
}

/** The first result once its image has loaded: its URL and natural size. */
async function result(page: Page): Promise<{ url: string; width: number; height: number }> {
  await page.getByTestId('result-image').first().waitFor({ timeout: 60_000 });
  await page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid="result-image"]') as HTMLImageElement | null;
      return !!el && el.complete && el.naturalWidth > 0;
    },
    undefined,
    { timeout: 30_000 },
  );
  return page
    .getByTestId('result-image')
    .first()
    .evaluate((el) => {
      const image = el as HTMLImageElement;
      return { url: image.currentSrc || image.src, width: image.naturalWidth, height: image.naturalHeight };
    });
}

async function sourceUrl(page: Page): Promise<string> {
  return (await page.getByTestId('mask-image').getAttribute('src')) ?? '';
}

/** Reads an image from its presigned URL into RGBA pixels (in Node, with sharp). */
async function pixels(url: string) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const meta = await sharp(bytes).metadata();
  return { data, width: info.width, height: info.height, hasAlpha: !!meta.hasAlpha, format: meta.format };
}

type Pixels = Awaited<ReturnType<typeof pixels>>;
const at = (img: Pixels, x: number, y: number) => {
  const i = (y * img.width + x) * 4;
  return [img.data[i], img.data[i + 1], img.data[i + 2], img.data[i + 3]].join(',');
};

/**
 * Compares a result with its input where the stroke (across the middle, 30–70 % of the width) cannot have
 * reached: the bands above and below it, outside a margin for the brush and grow_mask. Answers how many of
 * those pixels differ, and how many pixels on the stroke's own line changed.
 */
function compareAroundStroke(input: Pixels, output: Pixels) {
  const mid = Math.floor(input.height / 2);
  const margin = Math.ceil(input.height * 0.2);
  let unmasked = 0;
  let unmaskedChanged = 0;
  for (let y = 0; y < input.height; y++) {
    if (Math.abs(y - mid) <= margin) continue;
    for (let x = 0; x < input.width; x++) {
      unmasked++;
      if (at(input, x, y) !== at(output, x, y)) unmaskedChanged++;
    }
  }
  let strokeChanged = 0;
  for (let x = Math.floor(input.width * 0.35); x < input.width * 0.65; x++)
    if (at(input, x, mid) !== at(output, x, mid)) strokeChanged++;
  return { unmasked, unmaskedChanged, strokeChanged };
}

/** Bytes of Lambda invocation payloads that held an image, as the Lambda stand-in counts them. */
async function lambdaImageBytes(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${E2E_PORTS.LOCAL_LAMBDA_PORT}/__stats`);
  const stats = (await res.json()) as { payloads?: { imageBytes: number } };
  if (!stats.payloads) throw new Error('the Lambda stand-in does not count payloads');
  return stats.payloads.imageBytes;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

async function banner(page: Page): Promise<string> {
  const el = page.getByTestId('error-banner').first();
  await el.waitFor({ timeout: 30_000 });
  return (await el.textContent()) ?? '';
}

// ── the tests ───────────────────────────────────────────────────────────────────────────────────────────

describe('edit an image in the browser', () => {
  it('uploads from the create page, paints a mask with the mouse, and inpaints only the masked pixels', async () => {
    const input = await patternPng('inpaint.png', 512, 384);
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    const s3Posts: string[] = [];
    const imagesToApi: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().startsWith(S3_ORIGIN)) s3Posts.push(r.url());
      const body = r.postDataBuffer();
      if (r.url().startsWith(`${APP_URL}/api/`) && body?.includes(PNG_SIGNATURE)) imagesToApi.push(r.url());
    });
    const lambdaImagesBefore = await lambdaImageBytes();

    // GIVEN a PNG handed to "Upload an image" on the create page
    await page.goto(APP_URL);
    // A new browser's first calls each make an owner (the last cookie wins): the upload waits for them.
    await page.waitForLoadState('networkidle');
    // (the create page with its "Upload an image" has no serious accessibility violation)
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId('upload-input').setInputFiles(input);
    // THEN the editor opens on it, uploaded straight to S3 and checked: its size shows
    await page.waitForFunction(
      () => document.querySelector('[data-testid="source-size"]')?.textContent === '512 × 384 px',
      undefined,
      { timeout: 30_000 },
    );
    expect(page.url()).toMatch(/\/edit\?upload=up[0-9a-z]+$/);
    expect(s3Posts.length).toBe(1);

    // WHEN a stroke is painted with the mouse and inpaint is sent with a prompt
    await pick(page, INPAINT);
    await page.getByTestId('param-prompt').fill('a bright red kite');
    expect(await page.getByTestId('cost').textContent()).toContain('US$ 0.07');
    await paintWithMouse(page);
    await send(page);

    // THEN the mask went to S3 too: no image byte went to the BFF, nor into a Lambda payload
    const out = await result(page);
    expect(s3Posts.length).toBe(2);
    expect(imagesToApi).toEqual([]);
    expect((await lambdaImageBytes()) - lambdaImagesBefore).toBe(0);
    expect(out).toMatchObject({ width: 512, height: 384 });
    expect(out.url.startsWith(S3_ORIGIN)).toBe(true);

    // AND every pixel the stroke could not reach is unchanged, while the stroke's own pixels changed
    const diff = compareAroundStroke(await pixels(await sourceUrl(page)), await pixels(out.url));
    expect(diff.unmasked).toBeGreaterThan(512 * 384 * 0.5);
    expect(diff.unmaskedChanged).toBe(0);
    expect(diff.strokeChanged).toBeGreaterThan(50);

    // AND the result can be edited again: the editor opens on it
    await page.getByTestId('edit-image').first().click();
    await page.waitForURL(/\/edit\?generation=[0-9a-z]+&image=[0-9a-z]+/, { waitUntil: 'commit' });
    await page.getByTestId('source-size').filter({ hasText: '512 × 384 px' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'edit-desktop.png'), fullPage: true });
    await context.close();
  });

  it('paints a mask with a finger on a 360 px phone and inpaints only the masked pixels; axe finds nothing serious', async () => {
    const input = await patternPng('touch.png', 400, 400);
    const context = await browser().newContext({
      viewport: PHONE,
      hasTouch: true,
      isMobile: true,
      deviceScaleFactor: 2,
    });
    const page = await context.newPage();
    await openEditor(page);
    await uploadByPage(page, input, '400 × 400 px');

    // THEN the canvas fits the screen and nothing overflows sideways
    const box = await canvasBox(page);
    expect(box.width).toBeLessThanOrEqual(PHONE.width);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    expect(await seriousViolations(page)).toEqual([]);

    // WHEN a finger paints the stroke and inpaint is sent
    await page.getByTestId('param-prompt').fill('a small boat');
    await paintWithFinger(context, page);
    await send(page);

    const out = await result(page);
    const diff = compareAroundStroke(await pixels(await sourceUrl(page)), await pixels(out.url));
    expect(diff.unmaskedChanged).toBe(0);
    expect(diff.strokeChanged).toBeGreaterThan(50);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'edit-phone.png'), fullPage: true });
    await context.close();
  });

  it('outpaints: the image grows by the sides set, its own pixels in place', async () => {
    const input = await patternPng('outpaint.png', 320, 256);
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openEditor(page);
    await uploadByPage(page, input, '320 × 256 px');

    await pick(page, OUTPAINT);
    await page.getByTestId('outpaint-left').fill('96');
    await page.getByTestId('outpaint-down').fill('64');
    await page.getByTestId('output-size').filter({ hasText: '416 × 320 px' }).waitFor();
    await send(page);

    const out = await result(page);
    expect(out).toMatchObject({ width: 416, height: 320 });
    const before = await pixels(await sourceUrl(page));
    const after = await pixels(out.url);
    let moved = 0;
    for (let y = 0; y < before.height; y++)
      for (let x = 0; x < before.width; x++) if (at(before, x, y) !== at(after, x + 96, y)) moved++;
    expect(moved).toBe(0);
    await context.close();
  });

  it('removes the background: a PNG with transparency, drawn on a checkerboard, downloaded with its alpha', async () => {
    const input = await patternPng('subject.png', 300, 300);
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openEditor(page);
    await uploadByPage(page, input, '300 × 300 px');

    await pick(page, REMOVE_BG);
    await send(page);
    const out = await result(page);
    const image = await pixels(out.url);
    expect(image.format).toBe('png');
    expect(image.hasAlpha).toBe(true);
    expect(at(image, 0, 0).endsWith(',0')).toBe(true);
    expect(at(image, 150, 150).endsWith(',255')).toBe(true);
    expect(await page.locator('.job__images--transparent [data-testid="result-image"]').count()).toBe(1);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download').first().click(),
    ]);
    const path = await download.path();
    const meta = await sharp(readFileSync(path)).metadata();
    expect([meta.format, meta.hasAlpha]).toEqual(['png', true]);
    await context.close();
  });

  it.each(UPSCALERS)('upscales with %s to its documented size', async (serviceId, size) => {
    const input = await patternPng('small.png', 256, 192);
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openEditor(page);
    await uploadByPage(page, input, '256 × 192 px');

    await pick(page, serviceId);
    const expected = `${size.width} × ${size.height} px`;
    await page.getByTestId('output-size').filter({ hasText: expected }).waitFor();
    const prompt = page.getByTestId('param-prompt');
    if ((await prompt.count()) > 0) await prompt.fill('a sharp detailed photo');
    await send(page);

    expect(await result(page)).toMatchObject(size);
    expect(await page.getByTestId('upscaled-size').textContent()).toContain(`to ${expected}`);
    await context.close();
  });

  it('keeps the structure (a control service) and transfers a style (with a second image) at the input size', async () => {
    const input = await patternPng('structure.png', 384, 256);
    const style = await patternPng('style.png', 200, 200);
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openEditor(page);
    await uploadByPage(page, input, '384 × 256 px');

    await pick(page, STRUCTURE);
    await page.getByTestId('param-prompt').fill('a stone bridge');
    await send(page);
    expect(await result(page)).toMatchObject({ width: 384, height: 256 });

    await pick(page, STYLE_TRANSFER);
    await page.getByTestId('style-upload-input').setInputFiles(style);
    await page.getByTestId('style-preview').waitFor({ timeout: 30_000 });
    await page.getByTestId('result-image').first().waitFor();
    const first = await page.getByTestId('result-image').first().getAttribute('src');
    await send(page);
    await page.waitForFunction(
      (old) => {
        const el = document.querySelector('[data-testid="result-image"]') as HTMLImageElement | null;
        return !!el && el.src !== old && el.complete && el.naturalWidth > 0;
      },
      first,
      { timeout: 60_000 },
    );
    expect(await result(page)).toMatchObject({ width: 384, height: 256 });
    await context.close();
  });

  it("reuses an inpaint of an upload after the upload expired: the editor opens the job's kept copy", async () => {
    // GIVEN an inpaint of an uploaded image, done
    const input = await patternPng('reuse.png', 320, 240);
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openEditor(page);
    await uploadByPage(page, input, '320 × 240 px');
    const uploadId = new URL(page.url()).searchParams.get('upload');
    await pick(page, INPAINT);
    await page.getByTestId('param-prompt').fill('a green door');
    await paintWithMouse(page);
    await send(page);
    await result(page);
    await page.waitForURL(/[?&]job=[0-9a-z]+/, { waitUntil: 'commit' });
    const jobId = new URL(page.url()).searchParams.get('job');
    // AND a day later the bucket's lifecycle rule deleted the upload
    const [uploaded] = (await objectsUnder('uploads/')).filter((k) => k.endsWith(`/${uploadId}`));
    expect(uploaded).toBeDefined();
    await deleteObject(uploaded);
    expect(await objectsUnder(uploaded)).toEqual([]);

    // WHEN its detail page is opened: it says what it was made from, by the job's own copy
    await page.goto(`${APP_URL}/gallery/${jobId}`);
    await page.getByTestId('made-from-upload').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('made-from-upload').textContent()).toContain('Made from your upload');
    // AND Reuse opens the editor on the same image, service and prompt
    await page.getByTestId('reuse').click();
    await page.waitForURL(/\/edit\?reuse=/, { waitUntil: 'commit' });
    await page.getByTestId('source-size').filter({ hasText: '320 × 240 px' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('param-prompt').inputValue()).toBe('a green door');
    expect(await page.getByTestId('error-banner').count()).toBe(0);

    // THEN a newly painted inpaint of it succeeds, at the image's size
    await paintWithMouse(page);
    await send(page);
    expect(await result(page)).toMatchObject({ width: 320, height: 240 });
    await context.close();
  });

  it('edits a generated image from its result, and the detail pages show the lineage both ways', async () => {
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await page.goto(APP_URL);
    await page.getByTestId('prompt').fill('a lighthouse on a cliff');
    await page.getByTestId('generate').click();
    await result(page);
    const parentUrl = page.url();
    const parentId = new URL(parentUrl).searchParams.get('job');

    await page.getByTestId('edit-image').first().click();
    await page.waitForURL(/\/edit\?generation=/, { waitUntil: 'commit' });
    await page.getByTestId('source-size').waitFor();
    await pick(page, REMOVE_BG);
    await send(page);
    await result(page);

    await page.getByTestId('job-detail-link').click();
    await page.getByTestId('made-from-link').click();
    await page.waitForURL(new RegExp(`/gallery/${parentId}$`), { waitUntil: 'commit' });
    await page.getByTestId('lineage-edit').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('lineage-edit').first().textContent()).toContain('Remove background');
    await context.close();
  });

  describe('bad uploads are refused with a clear message, leaving nothing behind', () => {
    async function refused(path: string, message: RegExp): Promise<void> {
      const context = await newContext(browser(), DESKTOP);
      const page = await context.newPage();
      await openEditor(page);
      const before = (await objectsUnder('uploads/')).length;
      await page.getByTestId('upload-input').setInputFiles(path);
      expect(await banner(page)).toMatch(message);
      expect(await page.getByTestId('source-size').count()).toBe(0);
      expect((await objectsUnder('uploads/')).length).toBe(before);
      await context.close();
    }

    it('refuses a file of another type renamed .png', async () => {
      await refused(
        fileOf('not-an-image.png', Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n')),
        /not a JPEG, PNG or WebP image/i,
      );
    });

    it('refuses a PNG whose header claims 100000 × 100000 px (a decompression bomb)', async () => {
      await refused(bombPng(), /too large|too many pixels/i);
    });

    it('refuses a truncated PNG', async () => {
      const whole = readFileSync(await patternPng('whole.png', 256, 256));
      await refused(
        fileOf('truncated.png', whole.subarray(0, Math.floor(whole.length / 2))),
        /could not be read|damaged|cut short/i,
      );
    });

    it('refuses a file larger than the upload limit', async () => {
      const big = Buffer.alloc(31 * 1024 * 1024);
      readFileSync(await patternPng('head.png', 64, 64)).copy(big);
      await refused(fileOf('big.png', big), /larger than|too large/i);
    });

    it("answers not found for another owner's upload id", async () => {
      const mine = await newContext(browser(), DESKTOP);
      const page = await mine.newPage();
      await openEditor(page);
      await uploadByPage(page, await patternPng('mine.png', 128, 128), '128 × 128 px');
      const uploadId = new URL(page.url()).searchParams.get('upload');

      const theirs = await newContext(browser(), DESKTOP);
      const other = await theirs.newPage();
      await other.goto(`${APP_URL}/edit?upload=${uploadId}`);
      expect(await banner(other)).toMatch(/not found|does not exist/i);
      expect(await other.getByTestId('mask-image').count()).toBe(0);
      // (the editor without an image, offering an upload, has no serious accessibility violation)
      expect(await seriousViolations(other)).toEqual([]);
      await mine.close();
      await theirs.close();
    });
  });
});
