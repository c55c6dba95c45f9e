import { AuthorizationRequest, AuthorizationResult, ConditionContext, PolicyStatement } from './policy';

// The rules below follow the IAM User Guide (URLs in docs/adr/0008-local-iam-enforcement.md):
// - "Policy evaluation logic" / "The difference between explicit and implicit denies": a matching Deny
//   wins; otherwise an Allow is needed; otherwise the request is implicitly denied.
// - "IAM JSON policy elements: Action / NotAction": case-insensitive, `*` and `?` wildcards.
// - "IAM JSON policy elements: Resource": case-sensitive ARN; `*` and `?` within each colon-separated
//   segment; a `*` that ends a segment may expand past the colons that follow.
// - "IAM JSON policy elements: Condition operators": AND across operators and keys, OR across the values
//   of one key; a key absent from the request makes an operator false, except the negated ones (true),
//   `...IfExists` (true) and `Null`; `ForAllValues` is true for an absent key, `ForAnyValue` false.

const list = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

const regexCache = new Map<string, RegExp>();

function cached(key: string, build: () => RegExp): RegExp {
  let re = regexCache.get(key);
  if (!re) {
    if (regexCache.size > 5_000) regexCache.clear();
    re = build();
    regexCache.set(key, re);
  }
  return re;
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `*` any run of characters, `?` one character; everything else literal. */
function globRegex(pattern: string, flags = ''): RegExp {
  return cached(`g${flags}\u0000${pattern}`, () => {
    let src = '';
    for (const c of pattern) src += c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : escape(c);
    return new RegExp(`^${src}$`, flags);
  });
}

/** Case-sensitive string match with `*` and `?` (StringLike). */
export function globMatch(pattern: string, value: string): boolean {
  return globRegex(pattern).test(value);
}

/** An action pattern against `service:Action`, case-insensitively. */
export function actionMatches(pattern: string, action: string): boolean {
  return globRegex(pattern, 'i').test(action);
}

/**
 * An ARN pattern against an ARN: case-sensitive; the wildcards work within each of the first five
 * colon-separated segments (arn, partition, service, region, account) and a `*` ending a segment
 * may match past the colons after it; in the resource part (the rest) they match anything.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  return cached(`a\u0000${pattern}`, () => {
    const parts = pattern.split(':');
    const head = parts.slice(0, 5);
    const resource = parts.slice(5).join(':');
    let src = '';
    head.forEach((segment, i) => {
      for (let j = 0; j < segment.length; j++) {
        const c = segment[j];
        if (c === '*') src += j === segment.length - 1 ? '[\\s\\S]*' : '[^:]*';
        else if (c === '?') src += '[^:]';
        else src += escape(c);
      }
      if (i < head.length - 1 || parts.length > 5) src += ':';
    });
    for (const c of resource) src += c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : escape(c);
    return new RegExp(`^${src}$`);
  }).test(arn);
}

function contextValue(context: ConditionContext, key: string): readonly string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) {
    if (k.toLowerCase() === wanted) return v === undefined ? undefined : list(v);
  }
  return undefined;
}

type Compare = (requestValue: string, policyValue: string) => boolean;

const num = (s: string) => (s.trim() === '' ? NaN : Number(s));
const date = (s: string) => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));
const numeric =
  (test: (a: number, b: number) => boolean): Compare =>
  (r, p) => {
    const [a, b] = [num(r), num(p)];
    return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
  };
const dated =
  (test: (a: number, b: number) => boolean): Compare =>
  (r, p) => {
    const [a, b] = [date(r), date(p)];
    return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
  };

/** The positive operators; each negated one is `Not` of its positive twin (true for an absent key). */
const POSITIVE: Readonly<Record<string, Compare>> = {
  stringequals: (r, p) => r === p,
  stringequalsignorecase: (r, p) => r.toLowerCase() === p.toLowerCase(),
  stringlike: (r, p) => globMatch(p, r),
  numericequals: numeric((a, b) => a === b),
  numericlessthan: numeric((a, b) => a < b),
  numericlessthanequals: numeric((a, b) => a <= b),
  numericgreaterthan: numeric((a, b) => a > b),
  numericgreaterthanequals: numeric((a, b) => a >= b),
  dateequals: dated((a, b) => a === b),
  datelessthan: dated((a, b) => a < b),
  datelessthanequals: dated((a, b) => a <= b),
  dategreaterthan: dated((a, b) => a > b),
  dategreaterthanequals: dated((a, b) => a >= b),
  bool: (r, p) => r.toLowerCase() === p.toLowerCase(),
  binaryequals: (r, p) => r === p,
  arnequals: (r, p) => arnMatches(p, r),
  arnlike: (r, p) => arnMatches(p, r),
};
const NEGATED: Readonly<Record<string, string>> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  numericnotequals: 'numericequals',
  datenotequals: 'dateequals',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
};

/** Whether one operator block (`"StringLike": { "s3:prefix": [...] }`) holds for the request. */
function operatorHolds(
  rawOperator: string,
  block: Readonly<Record<string, string | readonly string[] | boolean | number>>,
  context: ConditionContext,
): boolean {
  let op = rawOperator.toLowerCase();
  let set: 'any' | 'all' | undefined;
  if (op.startsWith('foranyvalue:')) [set, op] = ['any', op.slice('foranyvalue:'.length)];
  else if (op.startsWith('forallvalues:')) [set, op] = ['all', op.slice('forallvalues:'.length)];
  const ifExists = op !== 'null' && op.endsWith('ifexists');
  if (ifExists) op = op.slice(0, -'ifexists'.length);
  const negatedOf = NEGATED[op];
  const compare = POSITIVE[negatedOf ?? op];
  if (op !== 'null' && !compare) return false; // an operator this evaluator does not know never holds

  return Object.entries(block).every(([key, raw]) => {
    const policyValues = (Array.isArray(raw) ? raw : [raw]).map(String);
    const values = contextValue(context, key);
    const present = values !== undefined && values.length > 0;
    if (op === 'null') {
      // "Null": true → the key must be absent; false → present. Several values: OR.
      return policyValues.some((v) => (v.toLowerCase() === 'true' ? !present : present));
    }
    if (!present) {
      if (set === 'all') return true;
      if (set === 'any') return false;
      return ifExists || negatedOf !== undefined;
    }
    const positive = (value: string) => policyValues.some((p) => compare(value, p));
    const holdsFor = (value: string) => (negatedOf ? !positive(value) : positive(value));
    if (set === 'all') return values.every(holdsFor);
    if (set === 'any') return values.some(holdsFor);
    // A single-valued use: the (first) value of the request is what is compared.
    return negatedOf ? !values.some(positive) : values.some(positive);
  });
}

/** Whether every operator of a statement's Condition block holds (AND). */
export function conditionsHold(
  condition: PolicyStatement['Condition'],
  context: ConditionContext = {},
): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([op, block]) => operatorHolds(op, block, context));
}

/** Whether a statement applies to the request (its Effect aside). */
export function statementMatches(
  statement: PolicyStatement,
  action: string,
  resource: string,
  context: ConditionContext = {},
): boolean {
  const actionOk =
    statement.Action !== undefined
      ? list(statement.Action).some((p) => actionMatches(p, action))
      : statement.NotAction !== undefined
        ? !list(statement.NotAction).some((p) => actionMatches(p, action))
        : false;
  if (!actionOk) return false;
  const resourceOk =
    statement.Resource !== undefined
      ? list(statement.Resource).some((p) => arnMatches(p, resource))
      : statement.NotResource !== undefined
        ? !list(statement.NotResource).some((p) => arnMatches(p, resource))
        : false;
  return resourceOk && conditionsHold(statement.Condition, context);
}

/**
 * AWS's evaluation of the identity policies of one principal in one account (no SCPs, boundaries,
 * session or resource policies): an explicit Deny that matches wins, else an Allow that matches
 * allows, else the request is implicitly denied.
 */
export function authorize(request: AuthorizationRequest): AuthorizationResult {
  const { statements, action, resource, context = {} } = request;
  let allowedBy: PolicyStatement | undefined;
  for (const statement of statements) {
    if (!statementMatches(statement, action, resource, context)) continue;
    if (statement.Effect === 'Deny') return { decision: 'explicit-deny', matched: statement };
    if (statement.Effect === 'Allow') allowedBy ??= statement;
  }
  return allowedBy ? { decision: 'allow', matched: allowedBy } : { decision: 'implicit-deny' };
}
