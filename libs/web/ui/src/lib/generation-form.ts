import { ChangeDetectionStrategy, Component, computed, input, model, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';

import { ASPECT_RATIOS, ModelInfo, OutputFormat } from '@imagegen/contracts';
import { isCallable, unavailableText } from '@imagegen/web/util-jobs';
import { FieldErrors } from '@imagegen/web/util-validation';

import { PromptField } from './prompt-field';

/** Field errors shown under the form (the prompt's, the negative prompt's and the seed's sit by their boxes). */
const FORM_ERRORS = ['modelId', 'aspectRatio', 'count', 'outputFormat', 'form'] as const;

/**
 * The generation form of the create and compare pages: the model picker (one model from a list, or two
 * or three by checkboxes), the prompt, and the parameters a person may set. Presentational: the values
 * are two-way, the choices and messages come in, and picking a model or sending goes out to the page.
 * The page projects its heading (`[formHeader]`), tools under the prompt (`[promptTools]`: the prompt assistant) and
 * its actions (the submit button, the estimate).
 */
@Component({
  selector: 'ig-generation-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    MatButtonModule,
    MatCheckboxModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    PromptField,
  ],
  templateUrl: './generation-form.html',
  styleUrl: './generation-form.scss',
})
export class GenerationForm {
  /** The form's accessible name (or `labelledBy`: the id of the page's heading). */
  readonly label = input<string | undefined>(undefined);
  readonly labelledBy = input<string | undefined>(undefined);
  /** Starts the ids that tie the fields to their messages ("compare-" gives "compare-seed-error"). */
  readonly idPrefix = input('');

  /** The models offered (retired ones already left out; those that cannot be called are shown disabled, with why). */
  readonly models = input<readonly ModelInfo[]>([]);
  /** The ids of the models picked. */
  readonly selected = input<readonly string[]>([]);
  /** Pick several models (checkboxes) rather than one (a list). */
  readonly multiple = input(false);
  /** With `multiple`: how many models may be picked at most. */
  readonly maxSelected = input(3);
  /** With `multiple`: the legend of the checkboxes. */
  readonly modelsLegend = input('Models');
  /** One model picked from the list. */
  readonly modelChange = output<string>();
  /** With `multiple`: a model's checkbox was ticked or unticked. */
  readonly modelToggle = output<{ readonly id: string; readonly checked: boolean }>();

  readonly prompt = model.required<string>();
  readonly negativePrompt = model('');
  readonly aspectRatio = model('1:1');
  readonly seed = model('');
  readonly count = model(1);
  readonly outputFormat = model<OutputFormat>('png');

  /** The most characters the model (every model picked) takes, and whose limit it is. */
  readonly promptLimit = input(10_000);
  readonly limitOf = input('');
  readonly promptRows = input(4);
  readonly wantsEnglish = input(false);
  readonly englishAdvice = input('');
  readonly takesNegative = input(false);
  readonly negativeLabel = input('Negative prompt (optional)');
  readonly aspectRatios = input<readonly string[]>(ASPECT_RATIOS);
  /** Image counts offered (none: no count field). */
  readonly counts = input<readonly number[]>([]);
  /** Output formats offered (none: no format field). */
  readonly formats = input<readonly OutputFormat[]>([]);
  /** The largest seed the dice may roll (none: no dice). */
  readonly seedMax = input<number | undefined>(undefined);
  /** What is wrong, by field (form validation or the server). */
  readonly errors = input<FieldErrors>({});

  /** Generate: the form was submitted, or Ctrl+Enter (⌘+Enter) was pressed in the prompt box. */
  readonly send = output<void>();

  protected readonly model = computed(() =>
    this.multiple() ? undefined : this.models().find((m) => m.id === this.selected()[0]),
  );
  protected readonly modelBlocked = computed(() => {
    const model = this.model();
    return model && !isCallable(model) ? model : undefined;
  });
  protected readonly unavailable = computed(() => this.models().filter((m) => !isCallable(m)));
  protected readonly full = computed(() => this.selected().length >= this.maxSelected());
  protected readonly formErrors = FORM_ERRORS;
  protected readonly callable = isCallable;
  protected readonly whyUnavailable = unavailableText;

  protected isSelected(id: string): boolean {
    return this.selected().includes(id);
  }

  protected submit(event: Event): void {
    event.preventDefault();
    this.send.emit();
  }

  protected rollSeed(): void {
    const max = this.seedMax() ?? 4_294_967_294;
    const [n] = crypto.getRandomValues(new Uint32Array(1));
    this.seed.set(String(1 + (n % max)));
  }

  protected valueOf(event: Event): string {
    return (event.target as HTMLInputElement).value;
  }
}
