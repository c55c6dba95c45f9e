import {
  EditImageRequest,
  FitMode,
  IMAGE_SERVICES,
  ImageRef,
  ImageServiceEntry,
  ImageServiceKind,
  inputLimitViolations,
  OutputFormat,
  serviceOutputSize,
  ServiceParam,
  validateEditImageRequest,
} from '@imagegen/contracts';
import { FieldErrors, fieldErrorsOf } from '@imagegen/web/util-validation';

/**
 * The editor's form, built from the image-service catalog: the groups of the service picker, the fields of
 * a service with their defaults, and the request they make. Pure functions: the page holds the values.
 */

export interface ServiceGroup {
  readonly label: string;
  readonly services: readonly ImageServiceEntry[];
}

const GROUPS: readonly { readonly label: string; readonly kinds: readonly ImageServiceKind[] }[] = [
  { label: 'Edit', kinds: ['edit'] },
  // SD3.5 Large's image-to-image steers a new image by yours, as the control services do.
  { label: 'Control', kinds: ['control', 'image-to-image'] },
  { label: 'Upscale', kinds: ['upscale'] },
];

/** The service picker's groups, in catalog order within each. */
export function serviceGroups(services: readonly ImageServiceEntry[] = IMAGE_SERVICES): ServiceGroup[] {
  return GROUPS.map((g) => ({
    label: g.label,
    services: services.filter((s) => g.kinds.includes(s.kind)),
  })).filter((g) => g.services.length > 0);
}

/** A field's value as the form holds it: text, a number, or '' for "not set". */
export type ParamValue = string | number;
export type ParamValues = Readonly<Record<string, ParamValue>>;

/** The values a service's form starts with: each field's catalog default (a number field without one: its minimum). */
export function initialValues(service: ImageServiceEntry): ParamValues {
  const out: Record<string, ParamValue> = {};
  for (const p of service.params) out[p.name] = defaultOf(p);
  return out;
}

function defaultOf(p: ServiceParam): ParamValue {
  switch (p.kind) {
    case 'text':
      return '';
    case 'enum':
      return p.default ?? '';
    default:
      return p.default ?? p.min;
  }
}

/**
 * Keeps what a person typed when they switch services: a field both services have (the prompt, the negative
 * prompt, the style preset) keeps its value if the new service takes it; the others start at their defaults.
 */
export function carryValues(service: ImageServiceEntry, previous: ParamValues): ParamValues {
  const out: Record<string, ParamValue> = { ...initialValues(service) };
  for (const p of service.params) {
    const v = previous[p.name];
    if (v === undefined || v === '') continue;
    if (p.kind === 'text' && typeof v === 'string') out[p.name] = v;
    if (p.kind === 'enum' && typeof v === 'string' && p.values.includes(v)) out[p.name] = v;
    if ((p.kind === 'number' || p.kind === 'integer') && typeof v === 'number' && v >= p.min && v <= p.max)
      out[p.name] = v;
  }
  return out;
}

/** The params a request sends: the service's fields that are set (empty text and "no preset" are left out). */
export function paramsToSend(service: ImageServiceEntry, values: ParamValues): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of service.params) {
    const v = values[p.name];
    if (v === undefined || v === '') continue;
    if (p.kind === 'text' && typeof v === 'string' && !/\S/.test(v)) continue;
    out[p.name] = v;
  }
  return out;
}

/** The page's choices, as the request needs them. */
export interface EditChoices {
  readonly service: ImageServiceEntry;
  readonly image: ImageRef;
  readonly values: ParamValues;
  readonly mask?: { readonly uploadId: string };
  readonly styleImage?: ImageRef;
  readonly seed?: string;
  readonly count: number;
  readonly outputFormat: OutputFormat;
  readonly fit: FitMode;
}

/** The request as the contracts define it: optional fields only when set. */
export function editRequest(c: EditChoices): EditImageRequest {
  const seed = c.seed?.trim() ?? '';
  return {
    serviceId: c.service.id,
    image: c.image,
    ...(c.mask && c.service.inputs.mask ? { mask: c.mask } : {}),
    ...(c.styleImage && c.service.inputs.styleImage ? { styleImage: c.styleImage } : {}),
    params: paramsToSend(c.service, c.values),
    // A seed that is not a number is sent as typed, so the contracts' rule says what is wrong with it.
    ...(seed && c.service.takesSeed
      ? { seed: /^\d+$/.test(seed) ? Number(seed) : (seed as unknown as number) }
      : {}),
    count: c.count,
    outputFormat: c.outputFormat,
    ...(c.fit !== 'reject' ? { fit: c.fit } : {}),
  };
}

/** Runs the contracts' rules on the request before anything is sent; one message per field. */
export function editFormErrors(request: EditImageRequest): FieldErrors {
  const result = validateEditImageRequest(request);
  if (result.ok) return {};
  if (!result.problem.errors?.length) return { form: result.problem.detail ?? result.problem.title };
  return fieldErrorsOf(result.problem);
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** "3200 × 2400 px". */
export function sizeText(size: Size): string {
  return `${size.width} × ${size.height} px`;
}

/** What the image must be for this service, in words (empty: within the limits). */
export function limitViolations(service: ImageServiceEntry, size: Size | undefined): string[] {
  const limits = service.inputs.image?.limits;
  return size && limits ? inputLimitViolations(size, limits) : [];
}

/** The service's input limits, in one line a person reads before sending. */
export function limitsText(service: ImageServiceEntry): string {
  const l = service.inputs.image?.limits;
  if (!l) return '';
  const fmt = (n: number) => n.toLocaleString('en-US');
  const sides = l.maxSide ? `sides ${l.minSide}–${fmt(l.maxSide)} px` : `sides at least ${l.minSide} px`;
  // The upscalers state no aspect rule (their limits say 0 to infinity).
  const aspect =
    l.minAspect > 0 && Number.isFinite(l.maxAspect)
      ? `, aspect 1:${fmt(1 / l.minAspect)} to ${fmt(l.maxAspect)}:1`
      : '';
  return `${sides}, ${fmt(l.minPixels)}–${fmt(l.maxPixels)} px in all${aspect}`;
}

/**
 * The size the result will have. A fitted input is brought within the limits first, so for an image outside
 * them the answer is approximate (the server decides the fit's exact size): undefined then.
 */
export function expectedOutputSize(
  service: ImageServiceEntry,
  input: Size | undefined,
  values: ParamValues,
): Size | undefined {
  if (!input || limitViolations(service, input).length > 0) return undefined;
  return serviceOutputSize(service, input, paramsToSend(service, values));
}

/** Whether a service edits where a mask says (inpaint, erase): the page shows the mask canvas. */
export function takesMask(service: ImageServiceEntry): boolean {
  return !!service.inputs.mask;
}

/** Whether a service extends the canvas (outpaint): the page shows the edge handles. */
export function extendsCanvas(service: ImageServiceEntry): boolean {
  return service.output.kind === 'extend';
}

/** Whether a service needs a second image (style transfer's style image). */
export function takesStyleImage(service: ImageServiceEntry): boolean {
  return !!service.inputs.styleImage;
}

/** The fit modes offered when an image is outside a service's limits, with what each does. */
export const FIT_CHOICES: readonly { readonly mode: Exclude<FitMode, 'reject'>; readonly label: string }[] = [
  { mode: 'downscale', label: 'Fit: downscale' },
  { mode: 'crop', label: 'Fit: crop' },
  { mode: 'pad', label: 'Fit: pad' },
];
