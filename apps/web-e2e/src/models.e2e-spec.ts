import { BrowserContext, Page } from 'playwright-core';

import { DESKTOP, newContext, useBrowser } from './support/browser';
import { APP_URL, lambdaStats, NO_FAULTS, resetLambdaStats, setFaults } from './support/stack';

// Issue 6 through the real stack and the browser: many images per prompt, honest availability,
// expected time and cost before and after, and models compared side by side.
const ULTRA = 'stability.stable-image-ultra-v1:1';

const browser = useBrowser();

beforeEach(async () => {
  await setFaults(NO_FAULTS);
});

afterAll(async () => {
  await setFaults(NO_FAULTS);
});

async function openCreate(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser(), DESKTOP);
  const page = await context.newPage();
  await page.goto(APP_URL);
  await page.getByTestId('prompt').waitFor();
  await page.getByTestId('eta').waitFor();
  return { context, page };
}

/** Picks a value in a Material select by its visible text. */
async function choose(page: Page, testId: string, option: string | RegExp): Promise<void> {
  await page.getByTestId(testId).click();
  await page.getByRole('option', { name: option }).click();
  await page.getByRole('listbox').waitFor({ state: 'detached' });
}

/** Waits until the BFF's /api/models says what the test set up (the generator and the BFF each keep it a second here). */
async function modelsSay(modelId: string, available: boolean): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const models = (await (await fetch(`${APP_URL}/api/models`)).json()) as {
      id: string;
      available: boolean;
    }[];
    if (models.find((m) => m.id === modelId)?.available === available) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`/api/models never said ${modelId} is ${available ? '' : 'not '}available`);
}

describe('every model at its best', () => {
  it('makes 4 images of one prompt at once, with the time and the cost said before and the real cost after', async () => {
    await setFaults({ ...NO_FAULTS, latencyMs: 1500 });
    const { context, page } = await openCreate();
    await choose(page, 'count', '4');

    // THEN before sending: the expected time and the estimated cost of 4 images
    expect(await page.getByTestId('cost').textContent()).toContain('0.16');
    expect(await page.getByTestId('eta').textContent()).toMatch(/about \d+ s/);

    await resetLambdaStats();
    await page.getByTestId('prompt').fill('four variations of a paper boat');
    await page.getByTestId('generate').click();

    // WHILE it runs: a progress bar against the expected time
    await page.getByTestId('progress').waitFor();
    // THEN 4 images, each its own seed, made at once under the worker budget, and the real cost
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="result-image"]').length === 4,
      undefined,
      { timeout: 60_000 },
    );
    await page.waitForFunction(
      () => document.querySelector('[data-testid="job-cost"]')?.getAttribute('data-real') === 'true',
      undefined,
      { timeout: 30_000 },
    );
    expect(await page.getByTestId('job-cost').textContent()).toContain('0.16');
    const seeds = await page.getByTestId('image-seed').allTextContents();
    expect(new Set(seeds).size).toBe(4);
    const stats = await lambdaStats();
    expect(stats.maxRunning).toBeGreaterThan(1);
    expect(stats.maxRunning).toBeLessThanOrEqual(stats.concurrency);
    await page.waitForFunction(() => {
      const images = Array.from(document.querySelectorAll('[data-testid="result-image"]'));
      return (
        images.length === 4 &&
        images.every((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0)
      );
    });
    await context.close();
  });

  it('keeps and shows the images made when one of them fails, costing only those', async () => {
    // GIVEN a model that answers three times, then fails
    await setFaults({ ...NO_FAULTS, errorAfter: 3 });
    const { context, page } = await openCreate();
    await choose(page, 'count', '4');
    await page.getByTestId('prompt').fill('four kites, one lost');
    await page.getByTestId('generate').click();
    await page
      .getByTestId('outcome')
      .filter({ hasText: /3 of 4/ })
      .waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('result-image').count()).toBe(3);
    expect(await page.getByTestId('image-failure').count()).toBe(1);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="job-cost"]')?.getAttribute('data-real') === 'true',
    );
    expect(await page.getByTestId('job-cost').textContent()).toContain('0.12');
    await context.close();
  });

  it('disables a model this account cannot use, says how to enable it, and never sends a request for it', async () => {
    // GIVEN the account has no access to Stable Image Ultra
    await setFaults({ ...NO_FAULTS, accessDeniedModels: [ULTRA] });
    await modelsSay(ULTRA, false);
    const { context, page } = await openCreate();
    const requests: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && requests.push(r.url()));

    await page.getByTestId('model-select').click();
    const ultra = page.locator(`[data-testid="model-option"][data-model-id="${ULTRA}"]`);
    expect(await ultra.getAttribute('aria-disabled')).toBe('true');
    expect(await ultra.getByTestId('model-option-reason').textContent()).toMatch(/not authorized to use/);
    // AND the retired model is not offered at all
    expect(
      await page
        .locator('[data-testid="model-option"][data-model-id="stability.stable-diffusion-xl-v1"]')
        .count(),
    ).toBe(0);
    await ultra.click({ force: true });
    await page.keyboard.press('Escape');
    await page.getByRole('listbox').waitFor({ state: 'detached' });
    expect(await page.getByTestId('model-select').locator('.mat-mdc-select-value').textContent()).toBe(
      'Stable Image Core',
    );
    expect(requests).toEqual([]);

    // AND the compare page does not let it be picked either
    await page.getByTestId('nav-compare').click();
    const choice = page.locator(`[data-testid="compare-model"][data-model-id="${ULTRA}"]`);
    await choice.waitFor();
    expect(await choice.locator('input').isDisabled()).toBe(true);
    expect(await page.getByTestId('compare-model-reason').first().textContent()).toMatch(
      /not authorized to use/,
    );
    await context.close();
  });

  it('compares three models side by side, each result a normal job of my gallery', async () => {
    await setFaults({
      ...NO_FAULTS,
      latencyMs: {
        'stability.stable-image-core-v1:1': 200,
        'stability.sd3-5-large-v1:0': 900,
        [ULTRA]: 1600,
      },
    });
    await modelsSay(ULTRA, true);
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await page.goto(`${APP_URL}/compare`);
    await page.getByTestId('compare-model').first().waitFor();
    for (const box of await page.getByTestId('compare-model').all()) {
      if (!(await box.locator('input').isChecked())) await box.locator('input').check();
    }
    await page.getByTestId('prompt').fill('a lighthouse, three ways');
    expect(await page.getByTestId('compare-estimate').textContent()).toMatch(/0\.26/); // 0.04 + 0.08 + 0.14
    await page.getByTestId('compare-submit').click();

    // THEN three columns, one per model, each filled as its job ends
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="compare-column"]').length === 3,
    );
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid="compare-column"] [data-testid="result-image"]').length === 3,
      undefined,
      { timeout: 60_000 },
    );
    const models = await page
      .getByTestId('compare-column')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-model-id')));
    expect(new Set(models)).toEqual(
      new Set(['stability.stable-image-core-v1:1', 'stability.sd3-5-large-v1:0', ULTRA]),
    );

    // AND each is a job in my gallery
    await page.getByTestId('nav-gallery').click();
    await page.getByTestId('gallery-item').nth(2).waitFor();
    expect(await page.getByTestId('gallery-item').count()).toBe(3);
    await context.close();
  });

  it('counts the prompt against the model limit and warns, without blocking, on a prompt that is not English', async () => {
    const { context, page } = await openCreate();
    await page
      .getByTestId('prompt')
      .fill('un phare sur la falaise au coucher du soleil, avec des mouettes et la mer');
    await page.getByTestId('prompt-language-warning').waitFor();
    expect(await page.getByTestId('prompt-count').textContent()).toMatch(/73\s*\/\s*10[,.\s]?000/);
    await page.getByTestId('generate').click();
    await page.getByTestId('result-image').first().waitFor({ timeout: 60_000 });
    await page.getByTestId('prompt').fill('a lighthouse on a cliff at sunset');
    await page.getByTestId('prompt-language-warning').waitFor({ state: 'detached' });
    await context.close();
  });
});
