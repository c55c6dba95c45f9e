import { join } from 'node:path';
import { Page } from 'playwright-core';

import { seriousViolations } from './support/axe';
import { DESKTOP, newContext, PHONE, useBrowser } from './support/browser';
import { APP_URL, ARTIFACTS, bedrockStats, NO_FAULTS, S3_ORIGIN, setFaults } from './support/stack';

const browser = useBrowser();

beforeEach(async () => {
  await setFaults(NO_FAULTS);
});

async function openApp(page: Page): Promise<void> {
  await page.goto(APP_URL);
  await page.getByTestId('prompt').waitFor();
  await page.getByTestId('generate').waitFor();
}

async function generate(page: Page, prompt: string): Promise<void> {
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('generate').click();
}

async function firstImageNaturalSize(page: Page) {
  const img = page.getByTestId('result-image').first();
  await img.waitFor({ timeout: 60_000 });
  await page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid="result-image"]') as HTMLImageElement | null;
      return !!el && el.complete && el.naturalWidth > 0;
    },
    undefined,
    { timeout: 30_000 },
  );
  return img.evaluate((el) => {
    const image = el as HTMLImageElement;
    return { src: image.currentSrc || image.src, width: image.naturalWidth, height: image.naturalHeight };
  });
}

describe('generate an image in the browser', () => {
  it('shows the job status, then the image loaded straight from a presigned local S3 URL', async () => {
    // GIVEN a slow enough model to see the status
    await setFaults({ ...NO_FAULTS, latencyMs: 1500 });
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openApp(page);

    // WHEN a person types a prompt and presses Generate
    await generate(page, 'a lighthouse on a cliff at dusk, oil painting');

    // THEN the status shows while the job runs
    await page.getByTestId('status').waitFor();
    expect((await page.getByTestId('status').textContent())?.toLowerCase()).toMatch(
      /queued|running|generating/,
    );

    // AND the image arrives at Stable Image Core's 1:1 size, from S3, signed
    const image = await firstImageNaturalSize(page);
    expect(image).toMatchObject({ width: 1536, height: 1536 });
    expect(image.src.startsWith(S3_ORIGIN)).toBe(true);
    expect(image.src).toContain('X-Amz-Signature=');
    await page.getByTestId('offline-badge').first().waitFor();

    await page.screenshot({ path: join(ARTIFACTS, 'desktop.png'), fullPage: true });
    await context.close();
  });

  it('shows a validation message next to the prompt and sends nothing', async () => {
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/api/generations')) posts.push(r.url());
    });
    await openApp(page);

    // WHEN the prompt is only white space
    await generate(page, '    ');

    // THEN the field says why, and no request left the browser
    const error = page.getByTestId('field-error-prompt');
    await error.waitFor();
    expect((await error.textContent())?.toLowerCase()).toContain('prompt');
    expect(posts).toEqual([]);
    await context.close();
  });

  it('says when the content filter blocked a prompt', async () => {
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openApp(page);

    await generate(page, 'a forbidden-content scene');

    const banner = page.getByTestId('error-banner');
    await banner.waitFor({ timeout: 60_000 });
    expect((await banner.textContent())?.toLowerCase()).toContain('content filter');
    expect(await page.getByTestId('result-image').count()).toBe(0);
    await context.close();
  });

  it("honours a busy model's Retry-After: says it will retry, waits, and tries once more by itself", async () => {
    // GIVEN a model that throttles every attempt the SDK makes for one image (3), then answers
    await setFaults({ ...NO_FAULTS, throttleNext: 3 });
    const before = (await bedrockStats()).invocations;
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openApp(page);
    await generate(page, 'a crowded harbour at noon');

    // THEN the page says the model is busy and when it retries
    const banner = page.getByTestId('error-banner');
    await banner.filter({ hasText: /busy/i }).waitFor({ timeout: 60_000 });
    expect(await banner.textContent()).toMatch(/retrying in \d+ s/);
    expect(await page.getByTestId('result-image').count()).toBe(0);

    // AND it has not sent again at once (only the SDK's own 3 attempts reached the model)
    expect((await bedrockStats()).invocations - before).toBe(3);
    // WHEN the wait it asked for (10 s) has passed, it sends the request again by itself, and the image comes
    await page.getByTestId('result-image').first().waitFor({ timeout: 60_000 });
    expect((await bedrockStats()).invocations - before).toBe(4);
    await context.close();
  });

  it('keeps following a job across a reload and still shows the image', async () => {
    // GIVEN a model that takes a few seconds
    await setFaults({ ...NO_FAULTS, latencyMs: 4000 });
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openApp(page);
    await generate(page, 'a red bicycle leaning on a blue wall');
    await page.getByTestId('status').waitFor();

    // WHEN the page is reloaded mid-job
    await page.reload();

    // THEN the job is still followed and its image appears
    const image = await firstImageNaturalSize(page);
    expect(image.width).toBe(1536);
    await context.close();
  });

  it('has no serious accessibility violation (axe-core)', async () => {
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await openApp(page);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('works on a 360 px phone in dark mode, result first', async () => {
    const context = await newContext(browser(), PHONE, 'dark');
    const page = await context.newPage();
    await openApp(page);
    await generate(page, 'a paper boat on a puddle');
    await firstImageNaturalSize(page);

    // THEN nothing overflows sideways and the result sits above the prompt
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const resultTop = (await page.getByTestId('result-image').first().boundingBox())?.y ?? Infinity;
    const promptTop = (await page.getByTestId('prompt').boundingBox())?.y ?? -Infinity;
    expect(resultTop).toBeLessThan(promptTop);

    await page.screenshot({ path: join(ARTIFACTS, 'phone-dark.png'), fullPage: true });
    await context.close();
  });
});
