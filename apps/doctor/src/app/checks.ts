import { BedrockClient, GetFoundationModelAvailabilityCommand } from '@aws-sdk/client-bedrock';
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { ModelCatalogEntry } from '@imagegen/contracts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the checklist. */
export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do, for a warning or a failure. */
  readonly fix?: string;
  /** Bedrock model checks: whether the account's Marketplace subscription to the model is in place. */
  readonly subscribed?: boolean;
}

export interface Identity {
  readonly account: string;
  readonly arn: string;
}

/** Runs a program; answers its exit code (null when it could not start: `error` says why). */
export type CommandRunner = (
  command: string,
  args: readonly string[],
) => Promise<{
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: string;
}>;

/** The AWS SDK clients the checks call (built from the default credential chain in main.ts; stand-ins in tests). */
export interface AwsClients {
  readonly sts: STSClient;
  readonly ssm: SSMClient;
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
  readonly bedrock: BedrockClient;
}

const errName = (err: unknown) => (err instanceof Error ? err.name : 'Error');
const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/** 1. Credentials and region: STS GetCallerIdentity with the SDK's default credential chain. */
export async function checkCredentials(
  sts: STSClient,
  region: string,
): Promise<{ result: CheckResult; identity?: Identity }> {
  const name = 'Credentials and region';
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    const identity = { account: out.Account ?? '', arn: out.Arn ?? '' };
    return {
      identity,
      result: {
        name,
        status: 'ok',
        detail: `${identity.arn} (account ${identity.account}), deploying to ${region}`,
      },
    };
  } catch (err) {
    const why =
      errName(err) === 'CredentialsProviderError'
        ? 'no AWS credentials found'
        : `AWS refused the credentials: ${errName(err)}: ${errMessage(err)}`;
    return {
      result: {
        name,
        status: 'fail',
        detail: `${why} (STS GetCallerIdentity in ${region})`,
        fix: 'configure credentials (aws configure / aws configure sso / AWS_PROFILE=…), then check with `aws sts get-caller-identity`',
      },
    };
  }
}

/** The bootstrap version parameter of CDK's default synthesizer (qualifier hnb659fds). */
export const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';
/** aws-cdk-lib's DefaultStackSynthesizer: templates and assets need ≥ 6, context lookups (hosted zone) ≥ 8. */
export const MIN_BOOTSTRAP_VERSION = 6;
export const MIN_LOOKUP_BOOTSTRAP_VERSION = 8;

/** 2. CDK bootstrap: the version parameter the CDK CLI and the templates' CheckBootstrapVersion rule read. */
export async function checkBootstrap(
  ssm: SSMClient,
  identity: Identity,
  region: string,
  lookups: boolean,
): Promise<CheckResult> {
  const name = 'CDK bootstrap';
  const required = lookups ? MIN_LOOKUP_BOOTSTRAP_VERSION : MIN_BOOTSTRAP_VERSION;
  const fix = `npx cdk bootstrap aws://${identity.account}/${region} (from infra/)`;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER }));
    const version = Number(out.Parameter?.Value);
    if (!Number.isInteger(version) || version < required) {
      return {
        name,
        status: 'fail',
        detail: `bootstrap version ${out.Parameter?.Value} in ${region}; this app needs ≥ ${required}${lookups ? ' (the domain needs a hosted-zone lookup)' : ''}`,
        fix: `upgrade the bootstrap stack: ${fix}`,
      };
    }
    return { name, status: 'ok', detail: `bootstrap version ${version} in ${region} (≥ ${required})` };
  } catch (err) {
    if (errName(err) === 'ParameterNotFound') {
      return {
        name,
        status: 'fail',
        detail: `${region} of account ${identity.account} is not bootstrapped (${BOOTSTRAP_VERSION_PARAMETER} not found)`,
        fix,
      };
    }
    return {
      name,
      status: 'warn',
      detail: `could not read ${BOOTSTRAP_VERSION_PARAMETER}: ${errName(err)}: ${errMessage(err)}`,
      fix: `allow ssm:GetParameter on it (cdk deploy reads it too), or run ${fix}`,
    };
  }
}

/** 3. A Docker engine: `cdk deploy` builds the web and BFF container images (CDK_DOCKER names another engine). */
export async function checkDocker(run: CommandRunner, docker = 'docker'): Promise<CheckResult> {
  const name = 'Docker engine';
  const out = await run(docker, ['info', '--format', '{{.ServerVersion}}']);
  if (out.code === 0)
    return { name, status: 'ok', detail: `${docker} engine ${out.stdout.trim() || 'running'}` };
  if (out.code === null) {
    return {
      name,
      status: 'fail',
      detail: `\`${docker}\` was not found (${out.error ?? 'could not start'}); cdk deploy builds the container images with it`,
      fix: 'install Docker (Docker Desktop, or Docker Engine on Linux), or set CDK_DOCKER to another engine (e.g. finch)',
    };
  }
  const said = (out.stderr || out.stdout).trim().split('\n').pop() ?? '';
  return {
    name,
    status: 'fail',
    detail: `\`${docker} info\` exited ${out.code}: the engine is not running or not reachable${said ? ` (${said.slice(0, 160)})` : ''}`,
    fix: 'start Docker (Docker Desktop, or `sudo systemctl start docker`) and check with `docker info`',
  };
}

/** Lambda keeps at least this much account concurrency unreserved (Lambda developer guide, reserved concurrency). */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * 4. Lambda concurrency. By default the worker reserves nothing: its queue's event source mapping runs
 * at most `bedrockConcurrency` at once out of the unreserved pool (ADR 0011), so any account deploys;
 * a pool smaller than that only slows the queue (a warning). With `workerReservedConcurrency` set, the
 * worker reserves it, and Lambda must keep 100 unreserved besides, or CloudFormation fails.
 */
export async function checkLambdaConcurrency(
  lambda: LambdaClient,
  region: string,
  bedrockConcurrency: number,
  workerReservedConcurrency = 0,
): Promise<CheckResult> {
  const name = 'Lambda concurrency';
  try {
    const out = await lambda.send(new GetAccountSettingsCommand({}));
    const limit = out.AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = out.AccountLimit?.UnreservedConcurrentExecutions ?? limit;
    if (workerReservedConcurrency > 0) {
      const needed = workerReservedConcurrency + MIN_UNRESERVED_CONCURRENCY + (limit - unreserved);
      if (unreserved - workerReservedConcurrency < MIN_UNRESERVED_CONCURRENCY) {
        return {
          name,
          status: 'fail',
          detail:
            `account limit ${limit} in ${region} (${unreserved} unreserved): the worker reserves ${workerReservedConcurrency} ` +
            `(workerReservedConcurrency) and Lambda keeps ${MIN_UNRESERVED_CONCURRENCY} unreserved, so CloudFormation would fail creating the worker` +
            (limit <= 10 ? ' (a new account starts at 10; AWS raises it with use)' : ''),
          fix:
            `set workerReservedConcurrency to 0 (the default: the worker queue's MaximumConcurrency bounds the worker without a reservation), ` +
            `or ask for a higher "Concurrent executions" quota (Service Quotas → AWS Lambda → L-B99A9384) of at least ${needed} in ${region}: ` +
            `aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 1000 --region ${region}`,
        };
      }
      return {
        name,
        status: 'ok',
        detail: `account limit ${limit} in ${region}, ${unreserved} unreserved: room for the worker's reserved ${workerReservedConcurrency} and ${MIN_UNRESERVED_CONCURRENCY} more`,
      };
    }
    if (unreserved < bedrockConcurrency) {
      return {
        name,
        status: 'warn',
        detail:
          `account limit ${limit} in ${region} (${unreserved} unreserved): the worker queue's mapping may run ${bedrockConcurrency} ` +
          `(bedrockConcurrency) at once, but Lambda has only ${unreserved} to give it: images wait in the queue longer (nothing fails)`,
        fix: `lower bedrockConcurrency to ${Math.max(2, unreserved)}, or ask for a higher "Concurrent executions" quota (L-B99A9384) in ${region}`,
      };
    }
    return {
      name,
      status: 'ok',
      detail: `account limit ${limit} in ${region}, ${unreserved} unreserved: the worker reserves nothing, its queue runs up to ${bedrockConcurrency} at once`,
    };
  } catch (err) {
    return {
      name,
      status: 'warn',
      detail: `could not read the Lambda account settings: ${errName(err)}: ${errMessage(err)}`,
      fix: 'allow lambda:GetAccountSettings, or check "Concurrent executions" in Service Quotas yourself',
    };
  }
}

/** 5. Each callable catalog model, in the Bedrock region: GetFoundationModelAvailability. */
export async function checkModel(
  bedrock: BedrockClient,
  model: ModelCatalogEntry,
  bedrockRegion: string,
): Promise<CheckResult> {
  const name = `Bedrock model ${model.displayName} (${model.id})`;
  const moveRegion = `set IMAGEGEN_BEDROCK_REGION (infra/cdk.json bedrockRegion) to ${model.region}`;
  if (model.region !== bedrockRegion) {
    return {
      name,
      status: 'fail',
      detail: `served in ${model.region}, not in ${bedrockRegion}`,
      fix: moveRegion,
    };
  }
  try {
    const out = await bedrock.send(new GetFoundationModelAvailabilityCommand({ modelId: model.id }));
    if (out.regionAvailability === 'NOT_AVAILABLE') {
      return { name, status: 'fail', detail: `not available in ${bedrockRegion}`, fix: moveRegion };
    }
    if (out.authorizationStatus === 'NOT_AUTHORIZED') {
      return {
        name,
        status: 'fail',
        detail: `this account is not authorized to use it in ${bedrockRegion}`,
        fix: 'check for an SCP or permission boundary denying bedrock:InvokeModel on it, and that the account may use Bedrock (Bedrock console → Model catalog)',
      };
    }
    const agreement = out.agreementAvailability?.status;
    if (agreement === 'ERROR') {
      return {
        name,
        status: 'warn',
        detail: `its Marketplace agreement is in error${out.agreementAvailability?.errorMessage ? `: ${out.agreementAvailability.errorMessage}` : ''}`,
        fix: 'open the model in the Bedrock console (Model catalog) and follow its instructions; check the account has a payment method',
      };
    }
    if (
      out.entitlementAvailability === 'NOT_AVAILABLE' ||
      agreement === 'NOT_AVAILABLE' ||
      agreement === 'PENDING'
    ) {
      return {
        name,
        status: 'ok',
        subscribed: false,
        detail:
          `available in ${bedrockRegion}; note: not subscribed yet (${agreement === 'PENDING' ? 'subscription pending' : 'no Marketplace agreement yet'}): ` +
          'the first InvokeModel by a principal allowed aws-marketplace:Subscribe starts the subscription (up to ~15 minutes); ' +
          'the stack grants them to the worker role, so the first image made in the app subscribes (or make that call yourself in the Bedrock console playground)',
      };
    }
    return {
      name,
      status: 'ok',
      subscribed: true,
      detail: `available in ${bedrockRegion}, authorized, subscribed`,
    };
  } catch (err) {
    const n = errName(err);
    if (n === 'ResourceNotFoundException' || n === 'ValidationException') {
      return {
        name,
        status: 'fail',
        detail: `not offered in ${bedrockRegion}: ${errMessage(err)}`,
        fix: moveRegion,
      };
    }
    return {
      name,
      status: 'warn',
      detail: `could not check: ${n}: ${errMessage(err)}`,
      fix: ACCESS_DENIED.has(n)
        ? 'allow bedrock:GetFoundationModelAvailability to the deploying principal'
        : undefined,
    };
  }
}

export const MARKETPLACE_ACTIONS = [
  'aws-marketplace:Subscribe',
  'aws-marketplace:Unsubscribe',
  'aws-marketplace:ViewSubscriptions',
] as const;

/**
 * The IAM principal behind a caller ARN. An assumed-role session
 * (`arn:aws:sts::A:assumed-role/ROLE/SESSION`) maps to its role, whose ARN carries the role's path,
 * which the session ARN leaves out: IAM GetRole answers it; without iam:GetRole, the path is taken to be `/`.
 */
export async function principalOf(
  iam: IAMClient,
  callerArn: string,
): Promise<{ arn?: string; kind: 'user' | 'role' | 'root' | 'other'; note?: string }> {
  const m = /^arn:(aws[a-z-]*):(sts|iam)::(\d{12}):(.+)$/.exec(callerArn);
  if (!m) return { kind: 'other' };
  const [, partition, service, account, resource] = m;
  if (service === 'iam' && resource === 'root') return { kind: 'root' };
  if (service === 'iam' && resource.startsWith('user/')) return { arn: callerArn, kind: 'user' };
  const role = service === 'sts' ? /^assumed-role\/([^/]+)\/[^/]+$/.exec(resource)?.[1] : undefined;
  if (!role) return { kind: 'other' };
  try {
    const out = await iam.send(new GetRoleCommand({ RoleName: role }));
    if (out.Role?.Arn) return { arn: out.Role.Arn, kind: 'role' };
  } catch {
    /* no iam:GetRole: fall back to the path-less ARN */
  }
  return {
    arn: `arn:${partition}:iam::${account}:role/${role}`,
    kind: 'role',
    note: 'role path unknown (no iam:GetRole), assumed /',
  };
}

/** 6. The deploying principal's Marketplace permissions: IAM SimulatePrincipalPolicy. */
export async function checkMarketplace(iam: IAMClient, identity: Identity): Promise<CheckResult> {
  const name = 'Marketplace permissions';
  const couldNot = (why: string, fix: string): CheckResult => ({
    name,
    status: 'warn',
    detail: `could not check: ${why}`,
    fix,
  });
  const ask = `ask your administrator whether your principal may call ${MARKETPLACE_ACTIONS.join(', ')}`;
  const principal = await principalOf(iam, identity.arn);
  if (principal.kind === 'root') {
    return {
      name,
      status: 'warn',
      detail: 'signed in as the account root user: it may subscribe, but AWS advises against using it',
      fix: 'deploy as an IAM role or user (IAM Identity Center)',
    };
  }
  if (!principal.arn) return couldNot(`the policy simulator takes users and roles, not ${identity.arn}`, ask);
  try {
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: principal.arn,
        ActionNames: [...MARKETPLACE_ACTIONS],
      }),
    );
    const denied = (out.EvaluationResults ?? [])
      .filter((r) => r.EvalDecision !== 'allowed')
      .map((r) => `${r.EvalActionName} (${r.EvalDecision})`);
    if (denied.length) {
      return {
        name,
        status: 'fail',
        detail: `${principal.arn} may not ${denied.join(', ')}: the first call of a Stability model starts its Marketplace subscription and needs them`,
        fix: `allow ${MARKETPLACE_ACTIONS.join(', ')} on "*" to ${principal.arn} (an inline or customer managed policy)`,
      };
    }
    return {
      name,
      status: 'ok',
      detail: `${principal.arn} may ${MARKETPLACE_ACTIONS.map((a) => a.split(':')[1]).join(', ')}${principal.note ? ` (${principal.note})` : ''}`,
    };
  } catch (err) {
    const n = errName(err);
    if (ACCESS_DENIED.has(n))
      return couldNot(`${principal.arn} may not call iam:SimulatePrincipalPolicy`, ask);
    if (n === 'NoSuchEntityException')
      return couldNot(
        `IAM does not know ${principal.arn}${principal.note ? ` (${principal.note})` : ''}`,
        ask,
      );
    return couldNot(`${n}: ${errMessage(err)}`, ask);
  }
}
