import {
  DEFAULT_DEPLOY_SETTINGS,
  deployEnvName,
  DeploySettingsError,
  loadDeploySettings,
} from '@imagegen/infra/util-deploy-settings';

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

/** infra's defaults (DEPLOY_SETTINGS), for the settings the preflight reads. */
export const DEFAULT_SETTINGS = {
  region: DEFAULT_DEPLOY_SETTINGS.region,
  bedrockRegion: DEFAULT_DEPLOY_SETTINGS.bedrockRegion,
  bedrockConcurrency: DEFAULT_DEPLOY_SETTINGS.bedrockConcurrency,
  workerReservedConcurrency: DEFAULT_DEPLOY_SETTINGS.workerReservedConcurrency,
} as const;

export class SettingsError extends DeploySettingsError {
  override readonly name = 'SettingsError';
}

export const USAGE = `usage: npm run doctor [-- --region REGION] [--bedrock-region REGION] [--json]

Checks, with your AWS credentials, what \`npm run deploy\` needs, and prints the fix for each failure.
Settings come from where infra reads them: infra/cdk.json (context "imagegen"), then IMAGEGEN_*
variables (IMAGEGEN_REGION, IMAGEGEN_BEDROCK_REGION, …; docs/deploy.md lists them); the flags win over both.
Exit code: 0 when nothing failed (warnings allowed), 1 when a check failed, 2 on bad usage.`;

/** The flags, and the setting each overrides. */
const FLAG_SETTINGS: Readonly<Record<string, string>> = {
  region: 'region',
  'bedrock-region': 'bedrockRegion',
};

/**
 * The deployment settings exactly as infra reads them (the same DEPLOY_SETTINGS and merge: defaults,
 * then the `imagegen` context of infra/cdk.json, then IMAGEGEN_* variables, all checked), then the
 * command-line flags over them.
 */
export function loadSettings(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cdkContext: Record<string, unknown> | undefined,
): DoctorSettings {
  const flags = parseFlags(argv);
  const fromFlags = Object.fromEntries(
    Object.entries(FLAG_SETTINGS)
      .filter(([flag]) => flags[flag] !== undefined)
      .map(([flag, key]) => [deployEnvName(key), flags[flag]]),
  );
  const deploy = loadDeploySettings(cdkContext, { ...env, ...fromFlags }, { error: SettingsError });
  return {
    region: deploy.region,
    bedrockRegion: deploy.bedrockRegion,
    bedrockConcurrency: deploy.bedrockConcurrency,
    workerReservedConcurrency: deploy.workerReservedConcurrency,
    ...(deploy.domainName ? { domainName: deploy.domainName } : {}),
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
