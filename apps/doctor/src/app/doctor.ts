import { spawn } from 'node:child_process';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';

import { callableModels, ModelCatalogEntry } from '@imagegen/contracts';

import {
  AwsClients,
  checkBootstrap,
  checkCredentials,
  checkDocker,
  checkLambdaConcurrency,
  checkMarketplace,
  checkModel,
  CheckResult,
  CommandRunner,
  Identity,
} from './checks';
import { DoctorSettings } from './settings';

/**
 * The SDK clients, each in its region, credentials from the SDK's default chain (environment, SSO,
 * profiles, …) and endpoints from the SDK's own settings (AWS_ENDPOINT_URL_STS, _SSM, _LAMBDA, _IAM,
 * _BEDROCK): the doctor knows nothing of the local stand-ins its tests point it at.
 */
export function createAwsClients(settings: DoctorSettings): AwsClients {
  const common = { maxAttempts: 2 };
  return {
    sts: new STSClient({ ...common, region: settings.region }),
    ssm: new SSMClient({ ...common, region: settings.region }),
    lambda: new LambdaClient({ ...common, region: settings.region }),
    iam: new IAMClient({ ...common, region: settings.region }),
    bedrock: new BedrockClient({ ...common, region: settings.bedrockRegion }),
  };
}

/** Runs a program without a shell, with a time limit; never throws. */
export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (out: Awaited<ReturnType<CommandRunner>>) => {
      if (settled) return;
      settled = true;
      resolve(out);
    };
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => done({ code: null, stdout, stderr, error: err.message }));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });

export interface DoctorDeps {
  readonly settings: DoctorSettings;
  readonly clients: AwsClients;
  readonly run: CommandRunner;
  /** The Docker CLI cdk deploy uses (CDK_DOCKER, else docker). */
  readonly docker?: string;
  readonly models?: readonly ModelCatalogEntry[];
}

export interface DoctorReport {
  readonly settings: Pick<
    DoctorSettings,
    'region' | 'bedrockRegion' | 'bedrockConcurrency' | 'workerReservedConcurrency'
  >;
  readonly identity?: Identity;
  readonly checks: readonly CheckResult[];
  readonly ok: boolean;
}

/** Runs every check (those needing AWS are skipped when the credentials do not work). */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const { settings, clients } = deps;
  const models = deps.models ?? callableModels();
  const [credentials, docker] = await Promise.all([
    checkCredentials(clients.sts, settings.region),
    checkDocker(deps.run, deps.docker),
  ]);
  const checks: CheckResult[] = [credentials.result];
  const identity = credentials.identity;
  if (identity) {
    const [bootstrap, concurrency, marketplace, ...modelChecks] = await Promise.all([
      checkBootstrap(clients.ssm, identity, settings.region, settings.domainName !== undefined),
      checkLambdaConcurrency(
        clients.lambda,
        settings.region,
        settings.bedrockConcurrency,
        settings.workerReservedConcurrency,
      ),
      checkMarketplace(clients.iam, identity),
      ...models.map((m) => checkModel(clients.bedrock, m, settings.bedrockRegion)),
    ]);
    checks.push(
      bootstrap,
      docker,
      concurrency,
      ...modelChecks,
      marketplaceGivenModels(marketplace, modelChecks),
    );
  } else {
    const skipped = (name: string): CheckResult => ({
      name,
      status: 'skip',
      detail: 'not checked: needs working credentials',
    });
    checks.push(
      skipped('CDK bootstrap'),
      docker,
      skipped('Lambda concurrency'),
      ...models.map((m) => skipped(`Bedrock model ${m.displayName} (${m.id})`)),
      skipped('Marketplace permissions'),
    );
  }
  return {
    settings: {
      region: settings.region,
      bedrockRegion: settings.bedrockRegion,
      bedrockConcurrency: settings.bedrockConcurrency,
      workerReservedConcurrency: settings.workerReservedConcurrency,
    },
    ...(identity ? { identity } : {}),
    checks,
    ok: checks.every((c) => c.status !== 'fail'),
  };
}

/**
 * The Marketplace permissions matter for a model not subscribed yet (its first call subscribes): when
 * every catalog model is subscribed already, their absence is a warning for the next new model, not a failure.
 */
function marketplaceGivenModels(marketplace: CheckResult, models: readonly CheckResult[]): CheckResult {
  if (marketplace.status !== 'fail' || !models.every((m) => m.subscribed === true)) return marketplace;
  return {
    ...marketplace,
    status: 'warn',
    detail: `${marketplace.detail} (every catalog model is subscribed already: only a new model needs them)`,
  };
}

const MARK: Readonly<Record<CheckResult['status'], string>> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

/** The checklist a person reads: one line per check, the fix under each warning and failure. */
export function renderChecklist(report: DoctorReport): string {
  const { region, bedrockRegion } = report.settings;
  const lines = [
    `imagegen deploy preflight: ${report.identity ? `account ${report.identity.account}, ` : ''}region ${region}, Bedrock ${bedrockRegion}`,
    '',
  ];
  for (const c of report.checks) {
    lines.push(`${MARK[c.status]} ${c.name}: ${c.detail}`);
    if (c.fix && (c.status === 'fail' || c.status === 'warn')) lines.push(`    fix: ${c.fix}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  lines.push('');
  lines.push(
    failed
      ? `${failed} failed${warned ? `, ${warned} to look at` : ''}: fix the failures, then run npm run deploy again.`
      : `ready to deploy${warned ? ` (${warned} to look at)` : ''}.`,
  );
  return lines.join('\n') + '\n';
}

/** 0 when nothing failed (warnings allowed), 1 otherwise. */
export const exitCodeOf = (report: DoctorReport): number => (report.ok ? 0 : 1);
