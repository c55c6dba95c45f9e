import {
  FieldError,
  findModel,
  ModelCatalogEntry,
  ProblemDetails,
  validateGenerateImageRequest,
} from '@imagegen/contracts';

/** One message per field, the first broken rule (what a person reads next to the field). */
export type FieldErrors = Readonly<Record<string, string>>;

const MESSAGES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  prompt: {
    isString: 'Describe the image you want.',
    minLength: 'Describe the image you want.',
    matches: 'The prompt needs words, and no control characters.',
  },
  seed: {
    isInt: 'The seed is a whole number.',
    min: 'The seed cannot be negative.',
  },
};

function friendly(e: FieldError): string {
  const field = e.field === '(body)' ? 'form' : e.field;
  return MESSAGES[field]?.[e.rule] ?? capitalize(e.message);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1) + (s.endsWith('.') ? '' : '.');
}

/** Maps a problem's field errors to one message per field. */
export function fieldErrorsOf(problem: ProblemDetails | undefined): FieldErrors {
  const out: Record<string, string> = {};
  for (const e of problem?.errors ?? []) {
    const field = e.field === '(body)' ? 'form' : e.field;
    out[field] ??= friendly(e);
  }
  return out;
}

/**
 * Runs the same rules as the BFF and the Lambda (libs/contracts) before anything is sent, against the
 * catalog entries the server answered (`lookup`), or the catalog built into the app.
 */
export function validateForm(
  input: Record<string, unknown>,
  lookup: (modelId: string) => ModelCatalogEntry | undefined = findModel,
): FieldErrors {
  const result = validateGenerateImageRequest(input, lookup);
  if (result.ok) return {};
  if (!result.problem.errors?.length) return { form: result.problem.detail ?? result.problem.title };
  return fieldErrorsOf(result.problem);
}
