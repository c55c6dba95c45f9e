/* eslint-disable @nx/enforce-module-boundaries -- the specs drive the doctor against the local AWS stand-ins (test-only: production code cannot import them) */
import { callableModels } from '@imagegen/contracts';
import { AWS_MODEL_RULES, BedrockStandIn, startBedrockStandIn } from '@imagegen/local-cloud/feature-bedrock';
import {
  ControlPlaneStandIn,
  READY_ACCOUNT,
  startControlPlaneStandIn,
} from '@imagegen/local-cloud/feature-control-plane';

/* eslint-enable @nx/enforce-module-boundaries */

import { CommandRunner } from './checks';
import { createAwsClients, exitCodeOf, renderChecklist, runDoctor } from './doctor';
import { loadSettings } from './settings';

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const SD35 = 'stability.sd3-5-large-v1:0';
const ULTRA = 'stability.stable-image-ultra-v1:1';
const dockerPresent: CommandRunner = async () => ({ code: 0, stdout: '27.3.1\n', stderr: '' });
const dockerAbsent: CommandRunner = async () => ({
  code: null,
  stdout: '',
  stderr: '',
  error: 'spawn docker ENOENT',
});
const dockerStopped: CommandRunner = async () => ({
  code: 1,
  stdout: '',
  stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
});

let controlPlane: ControlPlaneStandIn;
let bedrock: BedrockStandIn;
/** A Bedrock whose region does not offer SD3.5 Large. */
let bedrockWithoutSd35: BedrockStandIn;
const savedEnv = { ...process.env };

/** The environment an operator's shell would have: credentials and the SDK's own endpoint settings. */
function useEnvironment(overrides: Record<string, string | undefined> = {}, bedrockUrl = bedrock.url) {
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
    // No profile files and no instance metadata: the default chain sees only the environment.
    AWS_CONFIG_FILE: '/nonexistent/imagegen-doctor/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/imagegen-doctor/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_STS: controlPlane.url,
    AWS_ENDPOINT_URL_SSM: controlPlane.url,
    AWS_ENDPOINT_URL_LAMBDA: controlPlane.url,
    AWS_ENDPOINT_URL_IAM: controlPlane.url,
    AWS_ENDPOINT_URL_BEDROCK: bedrockUrl,
  });
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

async function doctor(
  run: CommandRunner = dockerPresent,
  argv: string[] = [],
  context: Record<string, unknown> = {},
) {
  const settings = loadSettings(
    argv,
    {},
    {
      region: 'us-west-2',
      bedrockRegion: 'us-west-2',
      bedrockConcurrency: 4,
      ...context,
    },
  );
  const report = await runDoctor({ settings, clients: createAwsClients(settings), run });
  return { report, text: renderChecklist(report), code: exitCodeOf(report) };
}

/** The checklist line of one check, and the fix printed under it (if any). */
function lineOf(text: string, name: string): { line: string; fix?: string } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.slice(2).startsWith(`${name}:`));
  if (i < 0) throw new Error(`no line for ${name} in\n${text}`);
  const next = lines[i + 1] ?? '';
  return { line: lines[i], ...(next.startsWith('    fix: ') ? { fix: next.slice('    fix: '.length) } : {}) };
}

beforeAll(async () => {
  [controlPlane, bedrock, bedrockWithoutSd35] = await Promise.all([
    startControlPlaneStandIn({ port: 0, credentials: CREDS, region: 'us-west-2' }),
    startBedrockStandIn({ port: 0, credentials: { ...CREDS, region: 'us-west-2' } }),
    startBedrockStandIn({
      port: 0,
      credentials: { ...CREDS, region: 'us-west-2' },
      models: AWS_MODEL_RULES.map((m) => (m.modelId === SD35 ? { ...m, region: 'us-east-1' } : m)),
    }),
  ]);
});
afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([controlPlane.close(), bedrock.close(), bedrockWithoutSd35.close()]);
});
beforeEach(() => {
  controlPlane.setState(READY_ACCOUNT);
  bedrock.setFaults({ accessDeniedModels: [], unsubscribedModels: [] });
  useEnvironment();
});

describe('runDoctor', () => {
  it('passes every check on a ready account, and exits 0', async () => {
    // WHEN
    const { report, text, code } = await doctor();

    // THEN
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['Credentials and region', 'ok'],
      ['CDK bootstrap', 'ok'],
      ['Docker engine', 'ok'],
      ['Lambda concurrency', 'ok'],
      ...callableModels().map((m) => [`Bedrock model ${m.displayName} (${m.id})`, 'ok']),
      ['Marketplace permissions', 'ok'],
    ]);
    expect(lineOf(text, 'Credentials and region').line).toBe(
      `✓ Credentials and region: ${READY_ACCOUNT.callerArn} (account 123456789012), deploying to us-west-2`,
    );
    expect(lineOf(text, 'Marketplace permissions').line).toBe(
      '✓ Marketplace permissions: arn:aws:iam::123456789012:role/ImagegenDeployer may Subscribe, Unsubscribe, ViewSubscriptions',
    );
    expect(text).toContain('ready to deploy.');
    expect(text).not.toContain('fix:');
    expect(code).toBe(0);
    expect(controlPlane.calls()).toEqual(
      expect.arrayContaining([
        'sts:GetCallerIdentity',
        'ssm:GetParameter',
        'lambda:GetAccountSettings',
        'iam:GetRole',
        'iam:SimulatePrincipalPolicy',
      ]),
    );
  });

  it('fails the credentials check when the default chain finds none, skips the AWS checks, and exits 1', async () => {
    // GIVEN
    useEnvironment({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });

    // WHEN
    const { report, text, code } = await doctor();

    // THEN
    expect(lineOf(text, 'Credentials and region')).toEqual({
      line: '✗ Credentials and region: no AWS credentials found (STS GetCallerIdentity in us-west-2)',
      fix: 'configure credentials (aws configure / aws configure sso / AWS_PROFILE=…), then check with `aws sts get-caller-identity`',
    });
    expect(lineOf(text, 'CDK bootstrap').line).toBe(
      '- CDK bootstrap: not checked: needs working credentials',
    );
    expect(report.checks.filter((c) => c.status === 'skip')).toHaveLength(3 + callableModels().length);
    expect(code).toBe(1);
  });

  it('fails the credentials check when AWS does not know the access key', async () => {
    // GIVEN
    useEnvironment({ AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000' });

    // WHEN
    const { text, code } = await doctor();

    // THEN
    expect(lineOf(text, 'Credentials and region').line).toBe(
      '✗ Credentials and region: AWS refused the credentials: InvalidClientTokenId: The security token included in the request is invalid. (STS GetCallerIdentity in us-west-2)',
    );
    expect(lineOf(text, 'Credentials and region').fix).toMatch(/^configure credentials \(aws configure/);
    expect(code).toBe(1);
  });

  it('fails when the region is not bootstrapped, with the bootstrap command for the account and region', async () => {
    // GIVEN
    controlPlane.setState({ bootstrapVersion: null });

    // WHEN
    const { text, code } = await doctor();

    // THEN
    expect(lineOf(text, 'CDK bootstrap')).toEqual({
      line: '✗ CDK bootstrap: us-west-2 of account 123456789012 is not bootstrapped (/cdk-bootstrap/hnb659fds/version not found)',
      fix: 'npx cdk bootstrap aws://123456789012/us-west-2 (from infra/)',
    });
    expect(code).toBe(1);
  });

  it('fails a bootstrap too old for the templates', async () => {
    // GIVEN
    controlPlane.setState({ bootstrapVersion: 5 });

    // WHEN
    const { text } = await doctor();

    // THEN
    expect(lineOf(text, 'CDK bootstrap').line).toBe(
      '✗ CDK bootstrap: bootstrap version 5 in us-west-2; this app needs ≥ 6',
    );
    expect(lineOf(text, 'CDK bootstrap').fix).toBe(
      'upgrade the bootstrap stack: npx cdk bootstrap aws://123456789012/us-west-2 (from infra/)',
    );
  });

  it('fails without a Docker engine: not installed, or not running', async () => {
    // WHEN
    const absent = await doctor(dockerAbsent);
    const stopped = await doctor(dockerStopped);

    // THEN
    expect(lineOf(absent.text, 'Docker engine').line).toBe(
      '✗ Docker engine: `docker` was not found (spawn docker ENOENT); cdk deploy builds the container images with it',
    );
    expect(lineOf(absent.text, 'Docker engine').fix).toMatch(/^install Docker/);
    expect(lineOf(stopped.text, 'Docker engine').line).toMatch(
      /^✗ Docker engine: `docker info` exited 1: the engine is not running or not reachable \(Cannot connect/,
    );
    expect(lineOf(stopped.text, 'Docker engine').fix).toMatch(/^start Docker/);
    expect([absent.code, stopped.code]).toEqual([1, 1]);
  });

  it('passes a new account whose Lambda concurrency limit is 10: by default the worker reserves nothing', async () => {
    // GIVEN a new account's quota, and the default settings (no reservation)
    controlPlane.setState({ concurrencyLimit: 10 });

    // WHEN
    const { text } = await doctor();

    // THEN the check passes: the worker queue's mapping bounds the worker without a reservation
    expect(lineOf(text, 'Lambda concurrency').line).toBe(
      '✓ Lambda concurrency: account limit 10 in us-west-2, 10 unreserved: the worker reserves nothing, its queue runs up to 4 at once',
    );
  });

  it('warns when the unreserved pool is smaller than bedrockConcurrency (the queue only waits longer)', async () => {
    controlPlane.setState({ concurrencyLimit: 10, reservedConcurrency: 7 });
    const { text, code } = await doctor();
    const { line, fix } = lineOf(text, 'Lambda concurrency');
    expect(line).toMatch(/^! Lambda concurrency: account limit 10 in us-west-2 \(3 unreserved\)/);
    expect(fix).toContain('lower bedrockConcurrency to 3');
    expect(code).toBe(0);
  });

  it('fails a new account (limit 10) when workerReservedConcurrency is set: no room for the reservation', async () => {
    // GIVEN
    controlPlane.setState({ concurrencyLimit: 10 });

    // WHEN
    const { text, code } = await doctor(dockerPresent, [], { workerReservedConcurrency: 4 });

    // THEN
    const { line, fix } = lineOf(text, 'Lambda concurrency');
    expect(line).toBe(
      '✗ Lambda concurrency: account limit 10 in us-west-2 (10 unreserved): the worker reserves 4 (workerReservedConcurrency) ' +
        'and Lambda keeps 100 unreserved, so CloudFormation would fail creating the worker (a new account starts at 10; AWS raises it with use)',
    );
    expect(fix).toContain('set workerReservedConcurrency to 0');
    expect(fix).toContain('quota (Service Quotas → AWS Lambda → L-B99A9384) of at least 104 in us-west-2');
    expect(code).toBe(1);
  });

  it('with a reservation, counts concurrency other functions reserved already', async () => {
    // GIVEN: 1000, of which 897 are reserved: 103 unreserved, 4 for the worker would leave 99
    controlPlane.setState({ concurrencyLimit: 1000, reservedConcurrency: 897 });

    // WHEN
    const { text } = await doctor(dockerPresent, [], { workerReservedConcurrency: 4 });

    // THEN
    expect(lineOf(text, 'Lambda concurrency').line).toMatch(
      /^✗ Lambda concurrency: account limit 1000 in us-west-2 \(103 unreserved\)/,
    );
    expect(lineOf(text, 'Lambda concurrency').fix).toContain('of at least 1001 in us-west-2');
  });

  it('fails a catalog model the Bedrock region does not offer, naming it', async () => {
    // GIVEN
    useEnvironment({}, bedrockWithoutSd35.url);

    // WHEN
    const { text, code } = await doctor();

    // THEN
    expect(lineOf(text, `Bedrock model Stable Diffusion 3.5 Large (${SD35})`)).toEqual({
      line: `✗ Bedrock model Stable Diffusion 3.5 Large (${SD35}): not available in us-west-2`,
      fix: 'set IMAGEGEN_BEDROCK_REGION (infra/cdk.json bedrockRegion) to us-west-2',
    });
    expect(lineOf(text, 'Bedrock model Stable Image Core (stability.stable-image-core-v1:1)').line).toMatch(
      /^✓/,
    );
    expect(code).toBe(1);
  });

  it('fails every model when the Bedrock region is not theirs', async () => {
    // WHEN
    const { text, code } = await doctor(dockerPresent, ['--bedrock-region', 'eu-central-1']);

    // THEN
    expect(lineOf(text, `Bedrock model Stable Image Ultra (${ULTRA})`)).toEqual({
      line: `✗ Bedrock model Stable Image Ultra (${ULTRA}): served in us-west-2, not in eu-central-1`,
      fix: 'set IMAGEGEN_BEDROCK_REGION (infra/cdk.json bedrockRegion) to us-west-2',
    });
    expect(code).toBe(1);
  });

  it('passes a model not subscribed yet, with a note that the first invoke subscribes', async () => {
    // GIVEN: the control plane answers Ultra authorized, with entitlement and agreement NOT_AVAILABLE
    bedrock.setFaults({ unsubscribedModels: [ULTRA] });

    // WHEN
    const { text, code } = await doctor();

    // THEN
    const { line, fix } = lineOf(text, `Bedrock model Stable Image Ultra (${ULTRA})`);
    expect(line).toMatch(
      /^✓ .*available in us-west-2; note: not subscribed yet \(no Marketplace agreement yet\): the first InvokeModel/,
    );
    expect(fix).toBeUndefined();
    expect(code).toBe(0);
  });

  it('fails when the deploying principal may not subscribe in AWS Marketplace and a model is not subscribed yet', async () => {
    // GIVEN
    controlPlane.setState({ marketplace: 'denied' });
    bedrock.setFaults({ unsubscribedModels: [ULTRA] });

    // WHEN
    const { text, code } = await doctor();

    // THEN
    expect(lineOf(text, 'Marketplace permissions')).toEqual({
      line:
        '✗ Marketplace permissions: arn:aws:iam::123456789012:role/ImagegenDeployer may not aws-marketplace:Subscribe (implicitDeny), ' +
        'aws-marketplace:Unsubscribe (implicitDeny), aws-marketplace:ViewSubscriptions (implicitDeny): ' +
        'the first call of a Stability model starts its Marketplace subscription and needs them',
      fix:
        'allow aws-marketplace:Subscribe, aws-marketplace:Unsubscribe, aws-marketplace:ViewSubscriptions on "*" ' +
        'to arn:aws:iam::123456789012:role/ImagegenDeployer (an inline or customer managed policy)',
    });
    expect(code).toBe(1);
  });

  it('only warns of missing Marketplace permissions when every catalog model is subscribed already', async () => {
    // GIVEN
    controlPlane.setState({ marketplace: 'denied' });

    // WHEN
    const { text, code } = await doctor();

    // THEN
    expect(lineOf(text, 'Marketplace permissions').line).toMatch(
      /^! Marketplace permissions: .* \(every catalog model is subscribed already: only a new model needs them\)$/,
    );
    expect(code).toBe(0);
  });

  it('simulates the role with its path (IAM GetRole), which the session ARN leaves out', async () => {
    // GIVEN: an IAM Identity Center (SSO) role
    controlPlane.setState({
      callerArn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice',
      rolePath: '/aws-reserved/sso.amazonaws.com/',
    });

    // WHEN
    const { text } = await doctor();

    // THEN
    expect(lineOf(text, 'Marketplace permissions').line).toBe(
      '✓ Marketplace permissions: arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef may Subscribe, Unsubscribe, ViewSubscriptions',
    );
  });

  it('warns that it could not check when the principal may not use the policy simulator, and still exits 0', async () => {
    // GIVEN
    controlPlane.setState({ mayReadIam: false });

    // WHEN
    const { text, code } = await doctor();

    // THEN
    expect(lineOf(text, 'Marketplace permissions')).toEqual({
      line: '! Marketplace permissions: could not check: arn:aws:iam::123456789012:role/ImagegenDeployer may not call iam:SimulatePrincipalPolicy',
      fix: 'ask your administrator whether your principal may call aws-marketplace:Subscribe, aws-marketplace:Unsubscribe, aws-marketplace:ViewSubscriptions',
    });
    expect(text).toContain('ready to deploy (1 to look at).');
    expect(code).toBe(0);
  });
});
