import {
  ChangeDetectionStrategy,
  Component,
  computed,
  input,
  linkedSignal,
  output,
  signal,
  Signal,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';

import { AssistantCost, AssistantStatus, ProblemDetails, PromptSuggestion } from '@imagegen/contracts';

/** What the assistant box drives (the data-access PromptAssistantStore is one). */
export interface PromptAssistantModel {
  readonly status: Signal<AssistantStatus | undefined>;
  readonly phase: Signal<'idle' | 'streaming' | 'ready' | 'failed' | 'stopped'>;
  /** The prompt line as streamed so far. */
  readonly draft: Signal<string>;
  readonly suggestion: Signal<PromptSuggestion | undefined>;
  readonly cost: Signal<AssistantCost | undefined>;
  readonly problem: Signal<ProblemDetails | undefined>;
  improve(prompt: string, modelId: string): void;
  stop(): void;
  dismiss(): void;
}

/** What the page puts in its form: a suggestion accepted, or the person's own text back (undo). */
export interface PromptChange {
  readonly prompt: string;
  readonly negativePrompt: string;
}

/** A small amount in US dollars: cents when there are some, else two significant digits ("0.000021"). */
export function smallUsd(amount: number): string {
  return `US$ ${amount >= 0.01 ? amount.toFixed(2) : amount.toPrecision(2)}`;
}

/**
 * "Improve prompt": asks the assistant for a better prompt for the chosen model, shows it as it is
 * written (with Stop), then offers it to edit and accept, or to keep the person's own text; nothing in
 * the form changes without a click, and an accepted suggestion can be undone. Shows the real cost.
 * Reusable on any page with a prompt: the page passes its prompt and applies `apply`.
 */
@Component({
  selector: 'ig-prompt-assistant',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule],
  templateUrl: './prompt-assistant.html',
  styleUrl: './prompt-assistant.scss',
})
export class PromptAssistant {
  readonly assistant = input.required<PromptAssistantModel>();
  /** The form's prompt and negative prompt now. */
  readonly prompt = input.required<string>();
  readonly negativePrompt = input('');
  /** The image model the prompt is for. */
  readonly modelId = input.required<string>();
  readonly takesNegative = input(false);
  /** Starts the ids of the box ("compare-" gives "compare-assistant-prompt"). */
  readonly idPrefix = input('');
  /** The form should take these values (accept or undo). */
  readonly apply = output<PromptChange>();

  protected readonly phase = computed(() => this.assistant().phase());
  protected readonly suggestion = computed(() => this.assistant().suggestion());
  protected readonly cost = computed(() => this.assistant().cost());
  protected readonly problem = computed(() => this.assistant().problem());
  protected readonly draft = computed(() => this.assistant().draft());
  /** The suggested prompt as the person edits it before accepting. */
  protected readonly edited = linkedSignal(() => this.suggestion()?.prompt ?? '');
  /** What the form held before the last accepted suggestion (Undo puts it back). */
  protected readonly original = signal<PromptChange | undefined>(undefined);
  protected readonly usd = smallUsd;
  protected readonly ids = computed(() => ({
    why: `${this.idPrefix()}assistant-why`,
    prompt: `${this.idPrefix()}assistant-prompt`,
  }));

  /** Why the button cannot be used now, in words a person can act on (none: it can). */
  protected readonly disabledReason = computed(() => {
    const status = this.assistant().status();
    if (!status) return 'Checking the prompt assistant…';
    if (!status.available) return status.unavailableReason ?? 'The prompt assistant is unavailable.';
    const text = this.prompt().trim();
    if (!text) return 'Write an idea first, in any language.';
    if (text.length > status.maxInputChars)
      return `The assistant takes up to ${status.maxInputChars} characters.`;
    if (!this.modelId()) return 'Pick a model first.';
    return undefined;
  });

  protected improve(): void {
    this.assistant().improve(this.prompt(), this.modelId());
  }

  protected accept(): void {
    const s = this.suggestion();
    if (!s) return;
    this.original.set({ prompt: this.prompt(), negativePrompt: this.negativePrompt() });
    this.apply.emit({
      prompt: this.edited().trim() || s.prompt,
      negativePrompt: s.negativePrompt && this.takesNegative() ? s.negativePrompt : this.negativePrompt(),
    });
    this.assistant().dismiss();
  }

  protected undo(): void {
    const before = this.original();
    if (!before) return;
    this.apply.emit(before);
    this.original.set(undefined);
  }

  protected valueOf(event: Event): string {
    return (event.target as HTMLTextAreaElement).value;
  }
}
