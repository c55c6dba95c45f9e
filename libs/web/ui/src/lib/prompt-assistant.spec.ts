import { Component, signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';

import {
  AssistantCost,
  AssistantStatus,
  ErrorCode,
  problem,
  ProblemDetails,
  PromptSuggestion,
} from '@imagegen/contracts';

import { PromptAssistant, PromptAssistantModel, PromptChange, smallUsd } from './prompt-assistant';

/** A scripted assistant: the test says what it streams and answers. */
class FakeAssistant implements PromptAssistantModel {
  readonly status = signal<AssistantStatus | undefined>({
    available: true,
    textModelId: 'amazon.nova-micro-v1:0',
    maxInputChars: 1000,
  });
  readonly phase = signal<'idle' | 'streaming' | 'ready' | 'failed' | 'stopped'>('idle');
  readonly draft = signal('');
  readonly suggestion = signal<PromptSuggestion | undefined>(undefined);
  readonly cost = signal<AssistantCost | undefined>(undefined);
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  readonly asked: { prompt: string; modelId: string }[] = [];
  stops = 0;
  improve(prompt: string, modelId: string): void {
    this.asked.push({ prompt, modelId });
    this.phase.set('streaming');
  }
  stop(): void {
    this.stops++;
    this.phase.set('stopped');
  }
  dismiss(): void {
    this.phase.set('idle');
    this.suggestion.set(undefined);
  }
}

/** A page holding a prompt, as the create and compare pages do. */
@Component({
  imports: [PromptAssistant],
  template: `
    <ig-prompt-assistant
      [assistant]="assistant"
      [prompt]="prompt()"
      [negativePrompt]="negativePrompt()"
      modelId="stability.stable-image-core-v1:1"
      [takesNegative]="true"
      (apply)="apply($event)"
    />
  `,
})
class Page {
  readonly assistant = new FakeAssistant();
  readonly prompt = signal('un chat rouge');
  readonly negativePrompt = signal('');
  apply(change: PromptChange) {
    this.prompt.set(change.prompt);
    this.negativePrompt.set(change.negativePrompt);
  }
}

const COST: AssistantCost = {
  inputTokens: 310,
  outputTokens: 42,
  costUsd: 0.00001673,
  textModelId: 'amazon.nova-micro-v1:0',
  estimated: false,
};

let fixture: ComponentFixture<Page>;
let page: Page;
const q = (id: string) =>
  (fixture.nativeElement as HTMLElement).querySelector(`[data-testid="${id}"]`) as HTMLElement | null;
const click = async (id: string) => {
  q(id)?.click();
  await fixture.whenStable();
};

beforeEach(async () => {
  fixture = TestBed.createComponent(Page);
  page = fixture.componentInstance;
  await fixture.whenStable();
});

describe(PromptAssistant.name, () => {
  it('asks for a suggestion for the prompt and model, shows it growing, and changes nothing until accepted', async () => {
    await click('assistant-improve');
    expect(page.assistant.asked).toEqual([
      { prompt: 'un chat rouge', modelId: 'stability.stable-image-core-v1:1' },
    ]);
    page.assistant.draft.set('A red');
    await fixture.whenStable();
    expect(q('assistant-draft')?.textContent).toBe('A red');
    page.assistant.draft.set('A red cat on a roof');
    await fixture.whenStable();
    expect(q('assistant-draft')?.textContent).toBe('A red cat on a roof');
    expect(q('assistant-stop')).not.toBeNull();
    expect(page.prompt()).toBe('un chat rouge');

    page.assistant.suggestion.set({
      prompt: 'A red cat on a roof',
      negativePrompt: 'blurry',
      change: 'Translated from French.',
    });
    page.assistant.cost.set(COST);
    page.assistant.phase.set('ready');
    await fixture.whenStable();
    expect(q('assistant-change')?.textContent).toContain('Translated from French.');
    expect(q('assistant-cost')?.textContent).toContain('US$ 0.000017');
    expect(q('assistant-cost')?.textContent).toContain('310 tokens in, 42 out');
    expect(page.prompt()).toBe('un chat rouge');
  });

  it('accepts an edited suggestion into the form, and Undo puts the original back', async () => {
    page.negativePrompt.set('text');
    await click('assistant-improve');
    page.assistant.suggestion.set({
      prompt: 'A red cat on a roof',
      negativePrompt: 'blurry',
      change: 'Translated.',
    });
    page.assistant.phase.set('ready');
    await fixture.whenStable();
    const box = q('assistant-prompt') as HTMLTextAreaElement;
    box.value = 'A red cat on a tiled roof';
    box.dispatchEvent(new Event('input'));
    await click('assistant-accept');
    expect(page.prompt()).toBe('A red cat on a tiled roof');
    expect(page.negativePrompt()).toBe('blurry');
    expect(q('assistant-suggestion')).toBeNull();
    await click('assistant-undo');
    expect(page.prompt()).toBe('un chat rouge');
    expect(page.negativePrompt()).toBe('text');
    expect(q('assistant-undo')).toBeNull();
  });

  it('keeps the original when the person keeps theirs', async () => {
    await click('assistant-improve');
    page.assistant.suggestion.set({ prompt: 'A red cat', change: 'Translated.' });
    page.assistant.phase.set('ready');
    await fixture.whenStable();
    await click('assistant-keep');
    expect(page.prompt()).toBe('un chat rouge');
    expect(q('assistant-suggestion')).toBeNull();
    expect(q('assistant-undo')).toBeNull();
  });

  it('stops a suggestion being written, leaving the prompt as it was', async () => {
    await click('assistant-improve');
    page.assistant.draft.set('A red');
    await fixture.whenStable();
    await click('assistant-stop');
    expect(page.assistant.stops).toBe(1);
    expect(q('assistant-stopped')?.textContent).toContain('your prompt is unchanged');
    expect(page.prompt()).toBe('un chat rouge');
  });

  it('disables the button with the reason: model retired, nothing written yet, or too long', async () => {
    page.assistant.status.set({
      available: false,
      unavailableReason: 'Amazon Nova Micro has been retired by Amazon Bedrock (2027-01-01).',
      textModelId: 'amazon.nova-micro-v1:0',
      maxInputChars: 1000,
    });
    await fixture.whenStable();
    const button = q('assistant-improve') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(q('assistant-why')?.textContent).toContain('retired');
    expect(button.getAttribute('aria-describedby')).toBe(q('assistant-why')?.id);
    page.assistant.status.set({ available: true, textModelId: 'x', maxInputChars: 5 });
    await fixture.whenStable();
    expect(q('assistant-why')?.textContent).toContain('up to 5 characters');
    page.prompt.set('  ');
    await fixture.whenStable();
    expect(q('assistant-why')?.textContent).toContain('Write an idea first');
  });

  it('says why a suggestion was not offered', async () => {
    await click('assistant-improve');
    page.assistant.problem.set(
      problem(ErrorCode.SUGGESTION_REJECTED, 'the answer is not an image prompt: try again or rephrase'),
    );
    page.assistant.phase.set('failed');
    await fixture.whenStable();
    expect(q('assistant-error')?.textContent).toContain('not an image prompt');
    expect(page.prompt()).toBe('un chat rouge');
  });

  it('writes small amounts with two significant digits', () => {
    expect(smallUsd(0.00001673)).toBe('US$ 0.000017');
    expect(smallUsd(0.123)).toBe('US$ 0.12');
  });
});
