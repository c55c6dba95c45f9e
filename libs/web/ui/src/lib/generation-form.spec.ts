import { Component, signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';

import { catalogEta, MODEL_CATALOG, ModelInfo, OutputFormat } from '@imagegen/contracts';
import { FieldErrors } from '@imagegen/web/util-validation';

import { GenerationForm } from './generation-form';

const MODELS: ModelInfo[] = MODEL_CATALOG.filter((m) => m.lifecycle.state !== 'retired').map((m) => ({
  ...m,
  available: true,
  availability: 'available',
  eta: catalogEta(m, 4),
}));
const [FIRST, SECOND] = MODELS.map((m) => m.id);

/** A page as the create and compare pages use the form: two-way values, its heading and actions projected. */
@Component({
  imports: [GenerationForm],
  template: `
    <ig-generation-form
      label="Describe the image"
      [multiple]="multiple()"
      [maxSelected]="2"
      [models]="models()"
      [selected]="selected()"
      (modelChange)="picked.push($event)"
      (modelToggle)="toggled.push($event)"
      [(prompt)]="prompt"
      [(seed)]="seed"
      [(count)]="count"
      [counts]="counts()"
      [(outputFormat)]="outputFormat"
      [formats]="formats()"
      [seedMax]="seedMax()"
      [errors]="errors()"
      (send)="sent = sent + 1"
    >
      <h1 formHeader data-testid="heading">Describe an image</h1>
      <button type="submit" data-testid="go">Go</button>
    </ig-generation-form>
  `,
})
class Page {
  readonly multiple = signal(false);
  readonly models = signal<readonly ModelInfo[]>(MODELS);
  readonly selected = signal<readonly string[]>([FIRST]);
  readonly prompt = signal('');
  readonly seed = signal('');
  readonly count = signal(1);
  readonly counts = signal<readonly number[]>([1, 2, 3, 4]);
  readonly outputFormat = signal<OutputFormat>('png');
  readonly formats = signal<readonly OutputFormat[]>(['png', 'jpeg']);
  readonly seedMax = signal<number | undefined>(10);
  readonly errors = signal<FieldErrors>({});
  readonly picked: string[] = [];
  readonly toggled: { id: string; checked: boolean }[] = [];
  sent = 0;
}

let fixture: ComponentFixture<Page>;
let page: Page;
const el = () => fixture.nativeElement as HTMLElement;
const q = (id: string) => el().querySelector(`[data-testid="${id}"]`) as HTMLElement | null;

async function render(over: (p: Page) => void = () => undefined) {
  fixture = TestBed.createComponent(Page);
  page = fixture.componentInstance;
  over(page);
  fixture.detectChanges();
  await fixture.whenStable();
}

describe(GenerationForm.name, () => {
  it('puts the page’s heading first and its actions last, inside one named form', async () => {
    await render();
    const form = el().querySelector('form') as HTMLFormElement;
    expect(form.getAttribute('aria-label')).toBe('Describe the image');
    expect(form.firstElementChild?.getAttribute('data-testid')).toBe('heading');
    expect(form.lastElementChild?.getAttribute('data-testid')).toBe('go');
  });

  it('sends on submit and on Ctrl+Enter in the prompt box, and never lets the browser submit', async () => {
    await render();
    const submit = new Event('submit', { cancelable: true });
    el().querySelector('form')?.dispatchEvent(submit);
    expect(submit.defaultPrevented).toBe(true);
    const key = new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, cancelable: true });
    q('prompt')?.dispatchEvent(key);
    expect(key.defaultPrevented).toBe(true);
    expect(page.sent).toBe(2);
  });

  it('writes what is typed back to the page', async () => {
    await render();
    const prompt = q('prompt') as HTMLTextAreaElement;
    prompt.value = 'a lighthouse';
    prompt.dispatchEvent(new Event('input'));
    const seed = q('seed') as HTMLInputElement;
    seed.value = '42';
    seed.dispatchEvent(new Event('input'));
    expect(page.prompt()).toBe('a lighthouse');
    expect(page.seed()).toBe('42');
  });

  it('rolls the dice within the seed range, and has no dice without one', async () => {
    await render();
    q('dice')?.click();
    expect(Number(page.seed())).toBeGreaterThanOrEqual(1);
    expect(Number(page.seed())).toBeLessThanOrEqual(10);
    page.seedMax.set(undefined);
    fixture.detectChanges();
    expect(q('dice')).toBeNull();
  });

  it('offers the count and format only when the page gives choices', async () => {
    await render((p) => {
      p.counts.set([]);
      p.formats.set([]);
    });
    expect(q('aspect-ratio')).not.toBeNull();
    expect(q('count')).toBeNull();
    expect(q('output-format')).toBeNull();
  });

  it('shows each field error by its field, the others under the form', async () => {
    await render((p) => p.errors.set({ seed: 'Seed too big.', prompt: 'Needs words.', form: 'Odd.' }));
    expect(q('field-error-seed')?.textContent?.trim()).toBe('Seed too big.');
    expect(q('field-error-prompt')?.textContent?.trim()).toBe('Needs words.');
    expect(q('field-error-form')?.textContent?.trim()).toBe('Odd.');
  });

  it('says why the picked model cannot be used, and lists the models that are not available', async () => {
    await render((p) =>
      p.models.set(
        MODELS.map((m) =>
          m.id === FIRST
            ? { ...m, availability: 'no-access' as const, available: false, unavailableReason: 'Enable it.' }
            : m,
        ),
      ),
    );
    expect(q('model-unavailable')?.textContent).toContain('cannot be used here: Enable it.');
    expect(q('unavailable-models')?.textContent).toContain('1 model is not available here');
  });

  it('picks several models by checkboxes, up to the most allowed', async () => {
    await render((p) => {
      p.multiple.set(true);
      p.selected.set([FIRST, SECOND]);
    });
    expect(q('model-select')).toBeNull();
    const boxes = Array.from(
      el().querySelectorAll('[data-testid="compare-model"] input'),
    ) as HTMLInputElement[];
    expect(boxes.map((b) => b.checked)).toEqual(MODELS.map((m) => m.id === FIRST || m.id === SECOND));
    // two picked, two allowed: the others cannot be added
    expect(boxes.filter((b) => !b.checked).every((b) => b.disabled)).toBe(true);
    boxes[0].click();
    expect(page.toggled).toEqual([{ id: FIRST, checked: false }]);
  });
});
