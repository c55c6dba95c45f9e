import { ChangeDetectionStrategy, Component, computed, input, model, output } from '@angular/core';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';

import { looksNonEnglish } from '@imagegen/web/util-validation';

/**
 * The prompt of a generation form: the prompt box counted against the model's limit as it is typed,
 * its field error, a polite warning (never a block) when a model that wants English gets a prompt that
 * does not look English, and the negative prompt when the model takes one.
 * Its host adds no box of its own: the fields sit in the page's form layout like the others.
 */
@Component({
  selector: 'ig-prompt-field',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatFormFieldModule, MatInputModule],
  templateUrl: './prompt-field.html',
  styleUrl: './prompt-field.scss',
})
export class PromptField {
  /** The prompt (two-way: `[(value)]`). */
  readonly value = model.required<string>();
  /** The most characters the model (every model picked) takes. */
  readonly limit = input.required<number>();
  /** Whose limit it is, in "too long for …": a model's name, or "one of the models". */
  readonly limitOf = input('');
  /** What is wrong with the prompt (form validation or the server). */
  readonly error = input<string | undefined>(undefined);
  /** The model (or one of the models) understands English best: warn when the prompt does not look English. */
  readonly wantsEnglish = input(false);
  /** The warning's advice, after "This prompt does not look English:". */
  readonly englishAdvice = input('');
  readonly rows = input(4);
  /** Starts the ids that tie the boxes to their error and warning ("compare-" gives "compare-prompt-error"). */
  readonly idPrefix = input('');

  /** The negative prompt (two-way: `[(negativePrompt)]`). */
  readonly negativePrompt = model('');
  /** The model (or one of the models) takes a negative prompt: show its box. */
  readonly takesNegative = input(false);
  readonly negativeLabel = input('Negative prompt (optional)');
  /** What is wrong with the negative prompt, shown under its box (a page may show it elsewhere instead). */
  readonly negativeError = input<string | undefined>(undefined);

  /** Ctrl+Enter (⌘+Enter) in the prompt box; a page that acts on it prevents the key's default. */
  readonly submitShortcut = output<KeyboardEvent>();

  protected readonly tooLong = computed(() => this.value().length > this.limit());
  protected readonly languageWarning = computed(() => this.wantsEnglish() && looksNonEnglish(this.value()));
  protected readonly ids = computed(() => {
    const prefix = this.idPrefix();
    return {
      error: `${prefix}prompt-error`,
      language: `${prefix}prompt-language`,
      negativeError: `${prefix}negativePrompt-error`,
    };
  });

  protected onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) this.submitShortcut.emit(event);
  }

  protected valueOf(event: Event): string {
    return (event.target as HTMLTextAreaElement).value;
  }
}
