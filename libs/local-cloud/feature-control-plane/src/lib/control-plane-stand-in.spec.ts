import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import { ControlPlaneStandIn, READY_ACCOUNT, startControlPlaneStandIn } from './control-plane-stand-in';

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const MARKETPLACE = [
  'aws-marketplace:Subscribe',
  'aws-marketplace:Unsubscribe',
  'aws-marketplace:ViewSubscriptions',
];
let standIn: ControlPlaneStandIn;

const config = (credentials = CREDS) => ({
  region: 'us-west-2',
  endpoint: standIn.url,
  credentials,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler(),
});

async function errorOf(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as Error & { $metadata?: { httpStatusCode?: number } };
  if (!err) throw new Error('expected an error');
  return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
}

beforeAll(async () => {
  standIn = await startControlPlaneStandIn({ port: 0, credentials: CREDS, region: 'us-west-2' });
});
afterAll(() => standIn.close());
beforeEach(() => standIn.setState(READY_ACCOUNT));

describe('startControlPlaneStandIn', () => {
  it('answers STS GetCallerIdentity (AWS Query) through the real SDK client', async () => {
    const out = await new STSClient(config()).send(new GetCallerIdentityCommand({}));

    expect(out).toMatchObject({ Account: '123456789012', Arn: READY_ACCOUNT.callerArn });
    expect(standIn.calls()).toContain('sts:GetCallerIdentity');
  });

  it('answers an unknown access key as STS does: InvalidClientTokenId, 403', async () => {
    const err = await errorOf(
      new STSClient(config({ ...CREDS, accessKeyId: 'AKIAUNKNOWN000000000' })).send(
        new GetCallerIdentityCommand({}),
      ),
    );

    expect(err).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
  });

  it('answers a wrong secret as SignatureDoesNotMatch', async () => {
    const err = await errorOf(
      new STSClient(config({ ...CREDS, secretAccessKey: 'wrong' })).send(new GetCallerIdentityCommand({})),
    );

    expect(err).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
  });

  it('answers the CDK bootstrap version from SSM (AWS JSON 1.1), and ParameterNotFound when not bootstrapped', async () => {
    const ssm = new SSMClient(config());
    const name = '/cdk-bootstrap/hnb659fds/version';

    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    standIn.setState({ bootstrapVersion: null });
    const err = await errorOf(ssm.send(new GetParameterCommand({ Name: name })));

    expect(out.Parameter).toMatchObject({ Name: name, Value: '29', Type: 'String' });
    expect(err).toMatchObject({ name: 'ParameterNotFound', status: 400 });
  });

  it('answers Lambda GetAccountSettings (REST-JSON) with the account concurrency', async () => {
    standIn.setState({ concurrencyLimit: 10 });

    const out = await new LambdaClient(config()).send(new GetAccountSettingsCommand({}));

    expect(out.AccountLimit).toMatchObject({ ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 });
  });

  it('answers IAM GetRole with the role path the STS ARN leaves out', async () => {
    standIn.setState({ rolePath: '/aws-reserved/sso.amazonaws.com/' });

    const out = await new IAMClient(config()).send(new GetRoleCommand({ RoleName: 'ImagegenDeployer' }));

    expect(out.Role?.Arn).toBe(
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ImagegenDeployer',
    );
  });

  it('simulates the Marketplace actions allowed, then denied', async () => {
    const iam = new IAMClient(config());
    const input = {
      PolicySourceArn: 'arn:aws:iam::123456789012:role/ImagegenDeployer',
      ActionNames: MARKETPLACE,
    };

    const allowed = await iam.send(new SimulatePrincipalPolicyCommand(input));
    standIn.setState({ marketplace: 'denied' });
    const denied = await iam.send(new SimulatePrincipalPolicyCommand(input));

    expect(allowed.EvaluationResults?.map((r) => r.EvalDecision)).toEqual(['allowed', 'allowed', 'allowed']);
    expect(denied.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual(
      MARKETPLACE.map((a) => [a, 'implicitDeny']),
    );
  });

  it('answers AccessDenied to a caller that may not use the policy simulator, NoSuchEntity to an unknown principal', async () => {
    const iam = new IAMClient(config());
    const input = { PolicySourceArn: 'arn:aws:iam::123456789012:role/Other', ActionNames: MARKETPLACE };

    const unknown = await errorOf(iam.send(new SimulatePrincipalPolicyCommand(input)));
    standIn.setState({ mayReadIam: false });
    const denied = await errorOf(iam.send(new SimulatePrincipalPolicyCommand(input)));

    expect(unknown).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
    expect(denied).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(denied.message).toContain('iam:SimulatePrincipalPolicy');
  });

  it('takes a state patch on POST /__state and refuses unknown settings', async () => {
    const post = (body: unknown) =>
      fetch(`${standIn.url}/__state`, { method: 'POST', body: JSON.stringify(body) });

    const ok = await post({ concurrencyLimit: 10 });
    const bad = await post({ concurency: 10 });

    expect(ok.status).toBe(200);
    expect(standIn.state().concurrencyLimit).toBe(10);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: 'unknown setting concurency' });
  });
});
