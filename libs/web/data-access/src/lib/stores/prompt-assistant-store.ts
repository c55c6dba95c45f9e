import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { catchError, of, Subscription } from 'rxjs';

import {
  AssistantCost,
  AssistantStatus,
  parseSuggestionText,
  ProblemDetails,
  PromptSuggestion,
} from '@imagegen/contracts';

import { AssistantApi } from '../assistant-api';

export type AssistantPhase = 'idle' | 'streaming' | 'ready' | 'failed' | 'stopped';

/**
 * One page's prompt assistant (provide it in the page): asks for a suggestion, holds the text as it
 * streams, the checked suggestion and its real cost, and stops the call on `stop` or when the page goes.
 * It never touches the page's prompt: the page applies a suggestion when the person accepts it.
 */
@Injectable()
export class PromptAssistantStore {
  private readonly api = inject(AssistantApi);
  private running?: Subscription;

  /** Whether the button works, and why not (undefined while it is asked). */
  readonly status = toSignal(
    this.api.status().pipe(
      catchError(() =>
        of<AssistantStatus>({
          available: false,
          unavailableReason: 'The prompt assistant could not be reached.',
          textModelId: '',
          maxInputChars: 0,
        }),
      ),
    ),
  );
  readonly phase = signal<AssistantPhase>('idle');
  /** The answer as streamed so far. */
  readonly text = signal('');
  readonly suggestion = signal<PromptSuggestion | undefined>(undefined);
  readonly cost = signal<AssistantCost | undefined>(undefined);
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  /** The prompt line of the answer so far (what the page shows growing). */
  readonly draft = computed(() => parseSuggestionText(this.text()).fields.PROMPT ?? '');

  constructor() {
    inject(DestroyRef).onDestroy(() => this.running?.unsubscribe());
  }

  improve(prompt: string, modelId: string): void {
    this.running?.unsubscribe();
    this.phase.set('streaming');
    this.text.set('');
    this.suggestion.set(undefined);
    this.cost.set(undefined);
    this.problem.set(undefined);
    this.running = this.api.suggest({ prompt, modelId }).subscribe({
      next: (event) => {
        if (event.type === 'delta') this.text.update((t) => t + event.text);
        else if (event.type === 'suggestion') {
          this.suggestion.set(event.suggestion);
          this.cost.set(event.cost);
          this.phase.set('ready');
        } else if (event.type === 'error') {
          this.problem.set(event.problem);
          if (event.cost) this.cost.set(event.cost);
          this.phase.set('failed');
        }
      },
      complete: () => {
        if (this.phase() === 'streaming') this.phase.set('failed');
      },
    });
  }

  /** Stops the suggestion being written (the server stops the model call). */
  stop(): void {
    this.running?.unsubscribe();
    this.running = undefined;
    if (this.phase() === 'streaming') this.phase.set('stopped');
  }

  /** Back to the button (the suggestion is dismissed). */
  dismiss(): void {
    this.stop();
    this.phase.set('idle');
    this.text.set('');
    this.suggestion.set(undefined);
    this.problem.set(undefined);
  }
}
