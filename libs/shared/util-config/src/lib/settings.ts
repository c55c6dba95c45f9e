/**
 * One small, declarative way to read settings (environment variables, CDK context): each setting says
 * its name, type, default, meaning and whether it is secret; `parseSettings` checks a whole record at
 * once, reports every bad setting in one error, and returns the typed values.
 */

/** What a raw value became: its typed value, or what is wrong with it (a phrase after the name). */
export type Coerced<T> = { readonly value: T } | { readonly problem: string };

/** `value`: the setting always has one (a default, or required); `optional`: it may be absent. */
export type Presence = 'value' | 'optional';

export interface Setting<T, P extends Presence = Presence> {
  /** The kind, for the docs and messages: `string`, `int`, `number`, `boolean`, `enum`, `url`, `list`, … */
  readonly type: string;
  /** The name it is read by, when not its key in the schema (e.g. `GENERATIONS_TABLE` for `table`). */
  readonly name?: string;
  /** What it does: the README's "what it does" cell (checked against the docs by settingsTableProblems). */
  readonly description: string;
  readonly default?: T;
  /** Missing is an error (only meaningful without a default). */
  readonly required: boolean;
  /** Never echoed in an error message. */
  readonly secret: boolean;
  /** What a good value looks like: `setting NAME must be <expected>`. */
  readonly expected: string;
  /** How the docs' default column reads, when not the default in backquotes, `— (required)` or `unset`. */
  readonly docDefault?: string;
  /** The raw value (a trimmed non-empty string, or a number/boolean from JSON) to the type. */
  readonly coerce: (raw: unknown) => Coerced<T>;
  /** The constraint on a value of the right type (range, length): a problem phrase, or undefined. */
  readonly check?: (value: T) => string | undefined;
  /** Phantom: whether the parsed record always has the setting. */
  readonly presence?: P;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySetting = Setting<any, Presence>;
export type SettingFields = Readonly<Record<string, AnySetting>>;

type ValueOf<S> = S extends Setting<infer T, Presence> ? T : never;
type ValueKeys<F extends SettingFields> = {
  [K in keyof F]: F[K] extends { readonly presence?: infer P } ? ('value' extends P ? K : never) : never;
}[keyof F];
type OptionalKeys<F extends SettingFields> = Exclude<keyof F, ValueKeys<F>>;

/** The typed record a schema parses to: settings with a value always present, optional ones maybe. */
export type SettingsOf<S> =
  S extends SettingsSchema<infer F> ? ValuesOf<F> : S extends SettingFields ? ValuesOf<S> : never;
type ValuesOf<F extends SettingFields> = { readonly [K in ValueKeys<F>]: ValueOf<F[K]> } & {
  readonly [K in OptionalKeys<F>]?: ValueOf<F[K]>;
};

/** Checks across settings; each gets the values that have the right type (even out of range). */
export type SettingsRule<F extends SettingFields> = (values: Partial<ValuesOf<F>>) => readonly string[];

export interface SettingsSchema<F extends SettingFields> {
  readonly fields: F;
  readonly rules: readonly SettingsRule<F>[];
}

/** A schema: the settings, keyed by the property they are read into, and the rules across them. */
export function defineSettings<F extends SettingFields>(
  fields: F,
  ...rules: SettingsRule<F>[]
): SettingsSchema<F> {
  return { fields, rules };
}

/** The name a setting is read by. */
export const nameOf = (key: string, setting: AnySetting): string => setting.name ?? key;

/** One error for every bad setting; `problems` lists them one per line. */
export class SettingsError extends Error {
  override readonly name: string = 'SettingsError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}

export interface ParseOptions {
  /** Report keys of the source that are no setting (for a record that holds settings only, e.g. CDK context). */
  readonly refuseUnknown?: boolean;
  /** The error class thrown (a SettingsError subclass, so each app keeps its own). */
  readonly error?: new (message: string, problems: readonly string[]) => SettingsError;
  /** The first line of the message; default `settings`. */
  readonly title?: string;
}

/** Empty or blank strings are unset: `FOO=` in a shell is no value. */
function rawOf(source: Readonly<Record<string, unknown>>, name: string): unknown {
  const raw = Object.prototype.hasOwnProperty.call(source, name) ? source[name] : undefined;
  if (typeof raw === 'string') {
    const trimmed = raw.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  return raw === null ? undefined : raw;
}

const shown = (raw: unknown): string => (typeof raw === 'string' ? raw : JSON.stringify(raw));

/**
 * Reads every setting of `schema` from `source` (an env-like record) and checks them all: throws one
 * error naming each bad setting and what it expects, or returns the typed values.
 */
export function parseSettings<F extends SettingFields>(
  schema: SettingsSchema<F> | F,
  source: Readonly<Record<string, unknown>>,
  options: ParseOptions = {},
): SettingsOf<SettingsSchema<F>> {
  const { fields, rules } = isSchema(schema) ? schema : { fields: schema, rules: [] };
  const values: Record<string, unknown> = {};
  const typed: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(fields)) {
    const name = nameOf(key, setting);
    const raw = rawOf(source, name);
    if (raw === undefined) {
      if (setting.default !== undefined) values[key] = typed[key] = setting.default;
      else if (setting.required) problems.push(`setting ${name} is missing`);
      continue;
    }
    const coerced = setting.coerce(raw);
    const got = setting.secret ? '' : ` (got "${shown(raw)}")`;
    if ('problem' in coerced) {
      problems.push(`setting ${name} ${coerced.problem}${got}`);
      continue;
    }
    typed[key] = coerced.value;
    const problem = setting.check?.(coerced.value);
    if (problem) problems.push(`setting ${name} ${problem}${got}`);
    else values[key] = coerced.value;
  }
  if (options.refuseUnknown) {
    const known = new Set(Object.entries(fields).map(([key, s]) => nameOf(key, s)));
    for (const name of Object.keys(source)) if (!known.has(name)) problems.push(`unknown setting ${name}`);
  }
  for (const rule of rules) problems.push(...rule(typed as Partial<ValuesOf<F>>));
  if (problems.length) {
    const ErrorClass = options.error ?? SettingsError;
    throw new ErrorClass(`${options.title ?? 'settings'}:\n- ${problems.join('\n- ')}`, problems);
  }
  return values as SettingsOf<SettingsSchema<F>>;
}

function isSchema<F extends SettingFields>(s: SettingsSchema<F> | F): s is SettingsSchema<F> {
  return (
    typeof (s as SettingsSchema<F>).fields === 'object' &&
    Array.isArray((s as SettingsSchema<F>).rules) &&
    typeof (s as { fields: { coerce?: unknown } }).fields.coerce !== 'function'
  );
}

/** The values with every secret setting masked: safe to log. */
export function printable<F extends SettingFields>(
  schema: SettingsSchema<F>,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, schema.fields[key]?.secret ? '***' : value]),
  );
}

// ---------------------------------------------------------------------------------------------------
// The kinds of setting.

interface Common<T> {
  readonly description: string;
  readonly default?: T;
  readonly required?: boolean;
  readonly secret?: boolean;
  readonly name?: string;
  /** Replaces the generated "what a good value looks like" phrase (after `must be`). */
  readonly expected?: string;
  readonly docDefault?: string;
}
type PresenceOf<O> = O extends { readonly default: unknown }
  ? 'value'
  : O extends { readonly required: true }
    ? 'value'
    : 'optional';

function make<T, O extends Common<T>>(
  options: O,
  type: string,
  expected: string,
  coerce: (raw: unknown) => Coerced<T>,
  check?: (value: T) => string | undefined,
): Setting<T, PresenceOf<O>> {
  const mustBe = `must be ${options.expected ?? expected}`;
  return {
    type,
    description: options.description,
    required: options.required ?? false,
    secret: options.secret ?? false,
    expected: options.expected ?? expected,
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.default !== undefined ? { default: options.default } : {}),
    ...(options.docDefault !== undefined ? { docDefault: options.docDefault } : {}),
    coerce: (raw) => {
      const result = coerce(raw);
      return 'problem' in result && result.problem === '' ? { problem: mustBe } : result;
    },
    ...(check
      ? {
          check: (value: T) => {
            const problem = check(value);
            return problem === '' ? mustBe : problem;
          },
        }
      : {}),
  };
}

/** The generated phrase is used when a coerce or check returns this. */
const BAD: Coerced<never> = { problem: '' };

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw)) return undefined;
  return Number(raw);
}

export interface StringOptions extends Common<string> {
  readonly pattern?: RegExp;
  readonly minLength?: number;
  readonly maxLength?: number;
}
export interface RangeOptions extends Common<number> {
  readonly min: number;
  readonly max: number;
}
export interface UrlOptions extends Common<string> {
  /** Allowed schemes, without the colon; default http and https. */
  readonly protocols?: readonly string[];
}
export interface CustomOptions<T> extends Common<T> {
  readonly type: string;
  readonly expected: string;
  /** From the trimmed string (or JSON value): the value, or a problem phrase (`''` for "must be <expected>"). */
  readonly coerce: (raw: unknown) => Coerced<T>;
}

const TRUE = new Set(['true', '1']);
const FALSE = new Set(['false', '0']);

export const setting = {
  /** Any text; optionally a pattern and a length. */
  string<O extends StringOptions>(options: O): Setting<string, PresenceOf<O>> {
    const { pattern, minLength, maxLength } = options;
    const expected =
      minLength !== undefined ? `at least ${minLength} characters` : pattern ? `like ${pattern}` : 'text';
    return make(
      options,
      'string',
      expected,
      // A number from JSON (an account id in cdk.json) is taken as its digits.
      (raw) => (typeof raw === 'string' || typeof raw === 'number' ? { value: String(raw) } : BAD),
      (value) =>
        (pattern && !pattern.test(value)) ||
        (minLength !== undefined && value.length < minLength) ||
        (maxLength !== undefined && value.length > maxLength)
          ? ''
          : undefined,
    );
  },

  /** A whole number from `min` to `max`. */
  int<O extends RangeOptions>(options: O): Setting<number, PresenceOf<O>> {
    return make(
      options,
      'int',
      `a whole number from ${options.min} to ${options.max}`,
      (raw) => {
        const n = toNumber(raw);
        return n !== undefined && Number.isInteger(n) ? { value: n } : BAD;
      },
      (n) => (n < options.min || n > options.max ? '' : undefined),
    );
  },

  /** A number (fractions allowed) from `min` to `max`. */
  number<O extends RangeOptions>(options: O): Setting<number, PresenceOf<O>> {
    return make(
      options,
      'number',
      `a number from ${options.min} to ${options.max}`,
      (raw) => {
        const n = toNumber(raw);
        return n !== undefined && Number.isFinite(n) ? { value: n } : BAD;
      },
      (n) => (n < options.min || n > options.max ? '' : undefined),
    );
  },

  /** `true`/`false` (or `1`/`0`); a JSON boolean as it is. */
  boolean<O extends Common<boolean>>(options: O): Setting<boolean, PresenceOf<O>> {
    return make(options, 'boolean', 'true or false', (raw) => {
      if (typeof raw === 'boolean') return { value: raw };
      const text = String(raw).toLowerCase();
      return TRUE.has(text) ? { value: true } : FALSE.has(text) ? { value: false } : BAD;
    });
  },

  /** One of a fixed list of words. */
  oneOf<const V extends string, O extends Common<V>>(
    values: readonly V[],
    options: O,
  ): Setting<V, PresenceOf<O>> {
    return make(options, 'enum', `one of ${values.join(', ')}`, (raw) =>
      values.includes(raw as V) ? { value: raw as V } : BAD,
    );
  },

  /** An absolute URL with one of the allowed schemes. */
  url<O extends UrlOptions>(options: O): Setting<string, PresenceOf<O>> {
    const protocols = options.protocols ?? ['http', 'https'];
    return make(options, 'url', `an absolute ${protocols.join(' or ')} URL`, (raw) => {
      if (typeof raw !== 'string') return BAD;
      try {
        const url = new URL(raw);
        return protocols.includes(url.protocol.slice(0, -1)) && url.hostname !== '' ? { value: raw } : BAD;
      } catch {
        return BAD;
      }
    });
  },

  /** Comma-separated words (blanks dropped). */
  list<O extends Common<readonly string[]>>(options: O): Setting<readonly string[], PresenceOf<O>> {
    return make<readonly string[], O>(options, 'list', 'a comma-separated list', (raw) =>
      typeof raw === 'string'
        ? {
            value: raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : BAD,
    );
  },

  custom,
};

/** Anything else: the caller's coerce says what the value is or what is wrong. */
function custom<T>(options: CustomOptions<T> & { readonly default: T }): Setting<T, 'value'>;
function custom<T>(options: CustomOptions<T> & { readonly required: true }): Setting<T, 'value'>;
function custom<T>(options: CustomOptions<T>): Setting<T, 'optional'>;
function custom<T>(options: CustomOptions<T>): Setting<T, Presence> {
  return make<T, CustomOptions<T>>(options, options.type, options.expected, options.coerce);
}
