import { fnv1a, seededRandom } from '@imagegen/local-cloud/util-offline-engine';

/**
 * Model time per image, in ms, of each catalog model in `npm start` (the `realistic` profile): the
 * fast model is fast and the premium one slow, in the catalog's proportions, so the ETA, the progress
 * bar and compare behave offline as they do on Bedrock, without its real tens of seconds.
 */
export const REALISTIC_LATENCY_MS: Readonly<Record<string, number>> = {
  'stability.stable-image-core-v1:1': 2_000,
  'stability.sd3-5-large-v1:0': 3_500,
  'stability.stable-image-ultra-v1:1': 5_000,
  default: 3_000,
};

/** Fault injection for tests and demos: every field optional, applied per invoke. */
export interface BedrockFaults {
  /**
   * Model time per image, in ms: one number for all models, a map of model id to ms (`default` for
   * the rest), or `realistic` for REALISTIC_LATENCY_MS.
   */
  readonly latencyMs?: number | Readonly<Record<string, number>> | 'realistic';
  /** Spread of the latency: each invoke waits latency × (1 ± up to this share), 0..1 (0: exact). */
  readonly latencyJitter?: number;
  /** Share of invokes answered ThrottlingException (0..1). */
  readonly throttleRate?: number;
  /** Share answered InternalServerException (0..1). */
  readonly errorRate?: number;
  /** Share answered ModelTimeoutException (0..1). */
  readonly timeoutRate?: number;
  /** The next N invokes are throttled (deterministic; counts down). */
  readonly throttleNext?: number;
  /** The next N invokes fail with InternalServerException (counts down). */
  readonly errorNext?: number;
  /** After N more successful answers, every invoke fails with InternalServerException (null: off). */
  readonly errorAfter?: number | null;
  /** A prompt matching this regular expression (case-insensitive) is blocked by the "content filter". */
  readonly contentFilterPattern?: string;
  /** Models this "account" has no access to (AccessDeniedException). */
  readonly accessDeniedModels?: readonly string[];
  /**
   * Models this "account" may use but has no Marketplace subscription to yet: the control plane answers
   * them AUTHORIZED with entitlement and agreement NOT_AVAILABLE (the first invoke would subscribe).
   */
  readonly unsubscribedModels?: readonly string[];
  /**
   * When set, the chance draws of an invoke (throttle, error, timeout, jitter) come from this seed,
   * the request and how often that same request came before, not from Math.random: the same
   * requests meet the same faults whatever order they arrive in, so a test at a 50% rate is
   * reproducible. null: off.
   */
  readonly faultSeed?: number | null;
}

export const DEFAULT_FAULTS: BedrockFaults = {
  latencyMs: 0,
  latencyJitter: 0,
  throttleRate: 0,
  errorRate: 0,
  timeoutRate: 0,
  throttleNext: 0,
  errorNext: 0,
  contentFilterPattern: '\\bforbidden-content\\b',
  accessDeniedModels: [],
  unsubscribedModels: [],
};

/** A patch that clears every fault, the optional ones included: the stand-in answers at once, every time. */
export const NO_FAULTS: BedrockFaults = { ...DEFAULT_FAULTS, errorAfter: null, faultSeed: null };

const RATE_KEYS = ['latencyJitter', 'throttleRate', 'errorRate', 'timeoutRate'] as const;
const COUNT_KEYS = ['throttleNext', 'errorNext', 'errorAfter', 'faultSeed'] as const;

/** Checks a partial fault setting (from JSON or the environment); answers the problems found. */
export function faultProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return ['faults must be a JSON object'];
  const f = input as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set([...Object.keys(DEFAULT_FAULTS), 'errorAfter', 'faultSeed']);
  for (const key of Object.keys(f)) if (!known.has(key)) problems.push(`unknown fault setting ${key}`);
  for (const key of RATE_KEYS) {
    const v = f[key];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1)))
      problems.push(`${key} must be a number from 0 to 1`);
  }
  for (const key of COUNT_KEYS) {
    const v = f[key];
    if ((key === 'errorAfter' || key === 'faultSeed') && v === null) continue;
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0))
      problems.push(`${key} must be a whole number ≥ 0`);
  }
  const latency = f['latencyMs'];
  const latencies =
    typeof latency === 'object' && latency !== null && !Array.isArray(latency)
      ? Object.values(latency)
      : [latency];
  if (
    latency !== undefined &&
    latency !== 'realistic' &&
    !latencies.every((v) => typeof v === 'number' && v >= 0 && v <= 600_000)
  ) {
    problems.push('latencyMs must be a number of ms (0..600000), a map of model id to ms, or "realistic"');
  }
  const pattern = f['contentFilterPattern'];
  if (pattern !== undefined) {
    try {
      new RegExp(String(pattern));
    } catch {
      problems.push('contentFilterPattern must be a regular expression');
    }
  }
  for (const key of ['accessDeniedModels', 'unsubscribedModels']) {
    const ids = f[key];
    if (ids !== undefined && !(Array.isArray(ids) && ids.every((d) => typeof d === 'string')))
      problems.push(`${key} must be a list of model ids`);
  }
  return problems;
}

/** The model time of one invoke, in ms: the model's latency, spread by the jitter (`random` in [0, 1)). */
export function latencyFor(
  faults: BedrockFaults,
  modelId: string,
  random: () => number = Math.random,
): number {
  const l = faults.latencyMs === 'realistic' ? REALISTIC_LATENCY_MS : faults.latencyMs;
  const base = typeof l === 'number' ? l : (l?.[modelId] ?? l?.['default'] ?? 0);
  const jitter = faults.latencyJitter ?? 0;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}

/**
 * The chance draws of one invoke under `faultSeed`: a function of the seed, the request (model and
 * body) and how many times that request was seen before (a retry of it draws anew).
 */
export class SeededDraws {
  private readonly seen = new Map<string, number>();

  constructor(readonly seed: number) {}

  next(request: string): () => number {
    if (this.seen.size > 10_000) this.seen.clear();
    const n = this.seen.get(request) ?? 0;
    this.seen.set(request, n + 1);
    return seededRandom(fnv1a(`${this.seed}|${n}|${request}`));
  }
}
