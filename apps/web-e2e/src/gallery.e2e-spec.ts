import { Browser } from 'playwright-core';

import { DESKTOP, launchBrowser, newContext } from './support/browser';
import { APP_URL, S3_ORIGIN, setFaults } from './support/stack';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  await setFaults({ latencyMs: 0, throttleRate: 0, errorRate: 0 });
});

afterAll(async () => {
  await browser?.close();
});

describe('my images', () => {
  it('lists what I made with its image, reuses its parameters, and deletes it after a confirmation', async () => {
    const context = await newContext(browser, DESKTOP);
    const page = await context.newPage();
    await page.goto(APP_URL);
    await page.getByTestId('prompt').fill('a gallery test <b>kite</b>');
    await page.getByTestId('generate').click();
    await page.getByTestId('result-image').first().waitFor({ timeout: 60_000 });

    // WHEN I open my images
    await page.getByTestId('nav-gallery').click();
    const item = page.getByTestId('gallery-item').first();
    await item.waitFor();
    // THEN my job is there with its image from S3, and the HTML of the prompt is shown as text
    expect(await item.locator('.tile__prompt').textContent()).toBe('a gallery test <b>kite</b>');
    expect(await item.locator('b').count()).toBe(0);
    expect((await item.getByTestId('gallery-image').getAttribute('src'))?.startsWith(S3_ORIGIN)).toBe(true);

    // WHEN I reuse it, the form has the same prompt and seed
    await item.getByTestId('reuse').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="prompt"]') as HTMLTextAreaElement | null)?.value === 'a gallery test <b>kite</b>');
    expect(Number(await page.getByTestId('seed').inputValue())).toBeGreaterThan(0);

    // WHEN I delete it and confirm
    await page.getByTestId('nav-gallery').click();
    await page.getByTestId('gallery-item').first().waitFor();
    const before = await page.getByTestId('gallery-item').count();
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('gallery-item').first().getByTestId('delete').click();
    await page.getByTestId('gallery-notice').filter({ hasText: 'Deleted.' }).waitFor();
    expect(await page.getByTestId('gallery-item').count()).toBe(before - 1);
    await context.close();
  });
});
