/** What the preflight needs to know of the deployment: the few settings infra reads that it checks against. */
export interface DoctorSettings {
  /** Region of the stacks: where CDK must be bootstrapped and the Lambda functions run. */
  readonly region: string;
  /** Region of the Bedrock calls (the catalog's Stability models: us-west-2). */
  readonly bedrockRegion: string;
  /** Bedrock calls at once: the worker queue mapping's MaximumConcurrency (infra's `bedrockConcurrency`). */
  readonly bedrockConcurrency: number;
  /** The worker's reserved concurrency (infra's `workerReservedConcurrency`; 0: none, the default). */
  readonly workerReservedConcurrency: number;
  /** Set when the deploy uses a domain: CDK then looks up the hosted zone (bootstrap version ≥ 8). */
  readonly domainName?: string;
  /** Print JSON instead of the checklist. */
  readonly json: boolean;
}

/** infra/src/config.ts DEFAULT_CONFIG, for the settings the preflight reads. */
export const DEFAULT_SETTINGS = {
  region: 'us-west-2',
  bedrockRegion: 'us-west-2',
  bedrockConcurrency: 4,
  workerReservedConcurrency: 0,
} as const;

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export const USAGE = `usage: npm run doctor [-- --region REGION] [--bedrock-region REGION] [--json]

Checks, with your AWS credentials, what \`npm run deploy\` needs, and prints the fix for each failure.
Settings come from where infra reads them: infra/cdk.json (context "imagegen"), then IMAGEGEN_REGION,
IMAGEGEN_BEDROCK_REGION, IMAGEGEN_BEDROCK_CONCURRENCY, IMAGEGEN_WORKER_RESERVED_CONCURRENCY,
IMAGEGEN_DOMAIN_NAME; the flags win over both.
Exit code: 0 when nothing failed (warnings allowed), 1 when a check failed, 2 on bad usage.`;

/**
 * The deployment settings as infra's loadConfig merges them (defaults, then the `imagegen` context of
 * infra/cdk.json, then IMAGEGEN_* variables), then the command-line flags. Infra is an app and cannot be
 * imported, so the few names are repeated here; infra's own checks still run at synth.
 */
export function loadSettings(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cdkContext: Record<string, unknown> | undefined,
): DoctorSettings {
  const flags = parseFlags(argv);
  const pick = (key: string, envName: string, flag?: string): unknown => {
    if (flag !== undefined && flags[flag] !== undefined) return flags[flag];
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return cdkContext?.[key] ?? (DEFAULT_SETTINGS as Record<string, unknown>)[key];
  };
  const region = String(pick('region', 'IMAGEGEN_REGION', 'region'));
  const bedrockRegion = String(pick('bedrockRegion', 'IMAGEGEN_BEDROCK_REGION', 'bedrock-region'));
  const bedrockConcurrency = Number(pick('bedrockConcurrency', 'IMAGEGEN_BEDROCK_CONCURRENCY'));
  const workerReservedConcurrency = Number(
    pick('workerReservedConcurrency', 'IMAGEGEN_WORKER_RESERVED_CONCURRENCY'),
  );
  const domainName = pick('domainName', 'IMAGEGEN_DOMAIN_NAME');
  const problems: string[] = [];
  if (!REGION.test(region)) problems.push(`region must be an AWS region such as us-west-2 (got ${region})`);
  if (!REGION.test(bedrockRegion))
    problems.push(`bedrock region must be an AWS region such as us-west-2 (got ${bedrockRegion})`);
  if (!Number.isInteger(bedrockConcurrency) || bedrockConcurrency < 2 || bedrockConcurrency > 1000)
    problems.push('bedrockConcurrency must be a whole number from 2 to 1000');
  if (
    !Number.isInteger(workerReservedConcurrency) ||
    workerReservedConcurrency < 0 ||
    workerReservedConcurrency > 1000
  )
    problems.push('workerReservedConcurrency must be a whole number from 0 to 1000');
  if (problems.length) throw new SettingsError(problems.join('\n'));
  return {
    region,
    bedrockRegion,
    bedrockConcurrency,
    workerReservedConcurrency,
    ...(typeof domainName === 'string' && domainName ? { domainName } : {}),
    json: flags['json'] === 'true',
  };
}

function parseFlags(argv: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--(region|bedrock-region|json|help)(?:=(.*))?$/.exec(arg);
    if (!m) throw new SettingsError(`unknown argument ${arg}\n\n${USAGE}`);
    const [, name, inline] = m;
    if (name === 'json' || name === 'help') {
      flags[name] = 'true';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new SettingsError(`--${name} needs a value`);
    flags[name] = value;
  }
  if (flags['help']) throw new SettingsError(USAGE);
  return flags;
}
