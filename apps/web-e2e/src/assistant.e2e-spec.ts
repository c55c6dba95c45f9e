import { join } from 'node:path';
import { Page } from 'playwright-core';

import { DESKTOP, newContext, PHONE, useBrowser } from './support/browser';
import { APP_URL, ARTIFACTS, NO_FAULTS, setFaults } from './support/stack';

const browser = useBrowser();
const IDEA = 'un chat rouge sur le toit au coucher du soleil';

beforeEach(async () => {
  await setFaults(NO_FAULTS);
});

/** Waits until the form's prompt box holds this text (or starts so), as the page re-renders after a click. */
async function promptBecomes(page: Page, want: string, prefix = false): Promise<string> {
  await page.waitForFunction(
    ([text, startsWith]) => {
      const value =
        (document.querySelector('[data-testid="prompt"]') as HTMLTextAreaElement | null)?.value ?? '';
      return startsWith ? value.startsWith(text as string) : value === text;
    },
    [want, prefix] as const,
    { timeout: 10_000 },
  );
  return page.getByTestId('prompt').inputValue();
}

/** Every text the streaming box showed, in order (recorded in the page as it changes). */
async function recordDraft(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __drafts: string[] }).__drafts = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="assistant-draft"]')?.textContent ?? '';
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
])('the prompt assistant on the create page (%s)', (size, viewport) => {
  it('streams an English prompt word by word, changes nothing until accepted, and Undo brings the idea back', async () => {
    const context = await newContext(browser(), viewport);
    const page = await context.newPage();
    await page.goto(APP_URL);
    await page.getByTestId('prompt').fill(IDEA);
    await recordDraft(page);

    // WHEN the person asks for a better prompt
    await page.getByTestId('assistant-improve').click();

    // THEN the suggestion arrives piece by piece (each text the box showed extends the one before)
    await page.getByTestId('assistant-suggestion').waitFor({ timeout: 30_000 });
    const drafts = await page.evaluate(() => (window as unknown as { __drafts: string[] }).__drafts);
    expect(drafts.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < drafts.length; i++) expect(drafts[i].startsWith(drafts[i - 1])).toBe(true);
    // AND it is English, says what changed and what it cost; the form still holds the idea
    expect(await page.getByTestId('assistant-prompt').inputValue()).toMatch(
      /^A red cat on the roof at the sunset, /,
    );
    expect(await page.getByTestId('assistant-change').textContent()).toContain('Translated from French');
    expect(await page.getByTestId('assistant-cost').textContent()).toMatch(
      /US\$ 0\.0000\d+ · \d+ tokens in, \d+ out/,
    );
    expect(await page.getByTestId('prompt').inputValue()).toBe(IDEA);
    // AND the page fits the screen
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, `assistant-${size}.png`), fullPage: true });

    // WHEN it is accepted, THEN the form takes it; WHEN undone, THEN the idea is back
    await page.getByTestId('assistant-accept').click();
    expect(await promptBecomes(page, 'A red cat on the roof at the sunset, ', true)).toMatch(/composition$/);
    await page.getByTestId('assistant-undo').click();
    expect(await promptBecomes(page, IDEA)).toBe(IDEA);
    await context.close();
  });
});

describe('the prompt assistant on the compare page', () => {
  it('keeps the person’s own prompt when they keep theirs', async () => {
    const context = await newContext(browser(), DESKTOP);
    const page = await context.newPage();
    await page.goto(`${APP_URL}/compare`);
    await page.getByTestId('prompt').fill('eine rote Katze im Schnee');
    await page.getByTestId('assistant-improve').click();
    await page.getByTestId('assistant-suggestion').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('assistant-prompt').inputValue()).toMatch(/^A red cat in the snow, /);
    await page.getByTestId('assistant-keep').click();
    await page.getByTestId('assistant-suggestion').waitFor({ state: 'detached' });
    expect(await page.getByTestId('prompt').inputValue()).toBe('eine rote Katze im Schnee');
    await context.close();
  });
});
