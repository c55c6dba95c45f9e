import { Component, signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';

import { PromptField } from './prompt-field';

/** A page as the create and compare pages use the field: two-way values, its own errors, the shortcut. */
@Component({
  imports: [PromptField],
  template: `
    <form>
      <ig-prompt-field
        [(value)]="prompt"
        [limit]="limit()"
        limitOf="Stable Image Core"
        [error]="error()"
        [wantsEnglish]="wantsEnglish()"
        englishAdvice="Stable Image Core understands English best."
        [idPrefix]="idPrefix()"
        [(negativePrompt)]="negativePrompt"
        [takesNegative]="takesNegative()"
        [negativeLabel]="negativeLabel()"
        [negativeError]="negativeError()"
        (submitShortcut)="submitted.push($event)"
      />
    </form>
  `,
})
class Page {
  readonly prompt = signal('');
  readonly negativePrompt = signal('');
  readonly limit = signal(10);
  readonly error = signal<string | undefined>(undefined);
  readonly wantsEnglish = signal(true);
  readonly idPrefix = signal('');
  readonly takesNegative = signal(true);
  readonly negativeLabel = signal('Negative prompt (optional)');
  readonly negativeError = signal<string | undefined>(undefined);
  readonly submitted: KeyboardEvent[] = [];
}

/** The text as a browser shows it: runs of white space collapse to one, none at the ends. */
const shown = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim();

let fixture: ComponentFixture<Page>;
let page: Page;
const q = (id: string) =>
  (fixture.nativeElement as HTMLElement).querySelector(`[data-testid="${id}"]`) as HTMLElement | null;
const box = () => q('prompt') as HTMLTextAreaElement;

async function render(over: (p: Page) => void = () => undefined) {
  fixture = TestBed.createComponent(Page);
  page = fixture.componentInstance;
  over(page);
  fixture.detectChanges();
  await fixture.whenStable();
}

async function type(testId: string, text: string) {
  const el = q(testId) as HTMLTextAreaElement;
  el.value = text;
  el.dispatchEvent(new Event('input'));
  await fixture.whenStable();
}

async function press(init: KeyboardEventInit) {
  const event = new KeyboardEvent('keydown', { ...init, cancelable: true });
  box().dispatchEvent(event);
  await fixture.whenStable();
  return event;
}

describe(PromptField.name, () => {
  it('shows the page’s prompt and hands back what is typed', async () => {
    // GIVEN a page whose prompt is already filled (a "reuse")
    await render((p) => p.prompt.set('an owl'));
    expect(box().value).toBe('an owl');
    // WHEN the person types
    await type('prompt', 'a cat on a sofa');
    // THEN the page's prompt follows
    expect(page.prompt()).toBe('a cat on a sofa');
  });

  it('counts the prompt against the limit as it is typed, and says whose limit it is once over it', async () => {
    await render();
    await type('prompt', 'a cat');
    expect(q('prompt-count')?.textContent?.trim()).toBe('5 / 10');
    expect(q('prompt-count')?.classList.contains('over')).toBe(false);
    expect(box().getAttribute('aria-invalid')).not.toBe('true');

    await type('prompt', 'a cat on a sofa');
    expect(shown(q('prompt-count'))).toBe('15 / 10 · too long for Stable Image Core');
    expect(q('prompt-count')?.classList.contains('over')).toBe(true);
    expect(box().getAttribute('aria-invalid')).toBe('true');
  });

  it('shows the field error next to the prompt, announced and tied to the box', async () => {
    await render();
    expect(q('field-error-prompt')).toBeNull();
    page.error.set('The prompt needs words.');
    await fixture.whenStable();
    const error = q('field-error-prompt') as HTMLElement;
    expect(error.textContent).toBe('The prompt needs words.');
    expect(error.getAttribute('role')).toBe('alert');
    expect(box().getAttribute('aria-invalid')).toBe('true');
    expect(box().getAttribute('aria-describedby')?.split(' ')).toEqual(
      expect.arrayContaining([error.id, 'prompt-language']),
    );
    expect(error.id).toBe('prompt-error');
  });

  it('warns, without blocking, when a model that wants English gets a prompt that does not look English', async () => {
    await render((p) => p.limit.set(10_000));
    const live = (fixture.nativeElement as HTMLElement).querySelector('#prompt-language') as HTMLElement;
    // The polite live region is there before it has anything to say, so screen readers hear the warning
    expect(live.getAttribute('role')).toBe('status');
    expect(live.getAttribute('aria-live')).toBe('polite');
    await type('prompt', 'a black cat on a roof');
    expect(q('prompt-language-warning')).toBeNull();

    await type('prompt', 'Un chat noir sur un toit');
    expect(q('prompt-language-warning')?.textContent).toBe(
      'This prompt does not look English: Stable Image Core understands English best.',
    );
    expect(live.contains(q('prompt-language-warning'))).toBe(true);
    expect(box().getAttribute('aria-invalid')).not.toBe('true');
  });

  it('does not warn about the language for a model that does not care', async () => {
    await render((p) => p.wantsEnglish.set(false));
    await type('prompt', 'Un chat noir sur un toit');
    expect(q('prompt-language-warning')).toBeNull();
  });

  it('asks to submit on Ctrl+Enter and ⌘+Enter, leaving the default to the page; Enter alone is a new line', async () => {
    await render();
    const ctrl = await press({ key: 'Enter', ctrlKey: true });
    const meta = await press({ key: 'Enter', metaKey: true });
    const plain = await press({ key: 'Enter' });
    expect(page.submitted).toEqual([ctrl, meta]);
    expect(plain.defaultPrevented).toBe(false);
  });

  it('shows the negative prompt only when the model takes one, with its own label, value and error', async () => {
    await render((p) => p.takesNegative.set(false));
    expect(q('negative-prompt')).toBeNull();

    page.takesNegative.set(true);
    page.negativeLabel.set('Negative prompt (optional; for the models that take one)');
    await fixture.whenStable();
    expect(q('negative-prompt')?.closest('mat-form-field')?.textContent).toContain(
      'Negative prompt (optional; for the models that take one)',
    );
    await type('negative-prompt', 'blurry');
    expect(page.negativePrompt()).toBe('blurry');
    expect(page.prompt()).toBe('');

    page.negativeError.set('The negative prompt is too long.');
    await fixture.whenStable();
    const error = q('field-error-negativePrompt') as HTMLElement;
    expect(shown(error)).toBe('The negative prompt is too long.');
    expect(q('negative-prompt')?.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
  });

  it('prefixes its ids, so the links stay unique next to the page’s own', async () => {
    await render((p) => {
      p.idPrefix.set('compare-');
      p.error.set('The prompt needs words.');
      p.negativeError.set('Too long.');
    });
    expect(q('field-error-prompt')?.id).toBe('compare-prompt-error');
    expect(q('field-error-negativePrompt')?.id).toBe('compare-negativePrompt-error');
    expect(box().getAttribute('aria-describedby')?.split(' ')).toEqual(
      expect.arrayContaining(['compare-prompt-error', 'compare-prompt-language']),
    );
    expect((fixture.nativeElement as HTMLElement).querySelector('#compare-prompt-language')).not.toBeNull();
  });
});
