import {
  accessDeniedMessage,
  AccessRefused,
  createAuthorizer,
  LOCAL_PRINCIPAL_KEYS,
  localPrincipals,
} from './authorizer';
import { RolePolicies } from './policy';
import { bedrockCalls, s3Calls } from './requests';

const scope = { region: 'us-west-2', account: '000000000000' };
const ADMIN = { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'admin-secret' };
const workerRole: RolePolicies = {
  roleLogicalId: 'WorkerRole1234',
  roleName: 'imagegen-WorkerRole1234',
  statements: [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::imagegen-images/*' },
    {
      Effect: 'Allow',
      Action: 'bedrock:GetFoundationModelAvailability',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'us-west-2' } },
    },
    {
      Effect: 'Deny',
      Action: 's3:PutObject',
      Resource: '*',
      Condition: { StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/imagegen-*' } },
    },
  ],
};

describe(createAuthorizer.name, () => {
  const authorizer = createAuthorizer({
    principals: localPrincipals({ worker: workerRole }, { worker: 'imagegen-worker' }),
    trusted: [ADMIN],
  });
  const worker = LOCAL_PRINCIPAL_KEYS.worker.accessKeyId;

  it('knows the secrets of its principals and trusted keys, and no other', () => {
    expect(authorizer.secretFor(worker)).toBe(LOCAL_PRINCIPAL_KEYS.worker.secretAccessKey);
    expect(authorizer.secretFor(ADMIN.accessKeyId)).toBe('admin-secret');
    expect(authorizer.secretFor(LOCAL_PRINCIPAL_KEYS.api.accessKeyId)).toBeUndefined();
  });

  it('gives every principal its own key pair', () => {
    const ids = Object.values(LOCAL_PRINCIPAL_KEYS).map((k) => k.accessKeyId);
    expect(new Set(ids).size).toBe(4);
    ids.forEach((id) => expect(id).toMatch(/^[A-Z0-9]{20}$/));
    Object.values(LOCAL_PRINCIPAL_KEYS).forEach((k) => expect(k.secretAccessKey).toHaveLength(40));
  });

  it('allows what the role allows (the global keys take part in conditions)', () => {
    expect(
      authorizer.check(worker, s3Calls({ method: 'PUT', url: '/imagegen-images/k.png', headers: {} }, scope)),
    ).toEqual({ allowed: true, principal: 'worker' });
    expect(
      authorizer.check(worker, bedrockCalls('GET', '/foundation-model-availability/a.b', scope)),
    ).toEqual({
      allowed: true,
      principal: 'worker',
    });
  });

  it('refuses, naming the principal, the action and the resource', () => {
    const check = authorizer.check(
      worker,
      bedrockCalls('POST', '/model/stability.sd3-5-large-v1%3A0/invoke', scope),
    ) as AccessRefused;
    expect(check).toMatchObject({
      allowed: false,
      principal: 'worker',
      principalArn: 'arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole1234/imagegen-worker',
      action: 'bedrock:InvokeModel',
      resource: 'arn:aws:bedrock:us-west-2::foundation-model/stability.sd3-5-large-v1:0',
      decision: 'implicit-deny',
    });
    expect(accessDeniedMessage(check)).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole1234/imagegen-worker is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/stability.sd3-5-large-v1:0 because no identity-based policy allows the bedrock:InvokeModel action',
    );
  });

  it('refuses a request when any one of its calls is refused (CopyObject from elsewhere)', () => {
    const check = authorizer.check(
      worker,
      s3Calls(
        { method: 'PUT', url: '/imagegen-images/k', headers: { 'x-amz-copy-source': 'other/k' } },
        scope,
      ),
    );
    expect(check).toMatchObject({ allowed: false, action: 's3:GetObject', resource: 'arn:aws:s3:::other/k' });
  });

  it('an aws:RequestedRegion outside the condition is refused', () => {
    const east = { ...scope, region: 'us-east-1' };
    expect(
      authorizer.check(worker, bedrockCalls('GET', '/foundation-model-availability/a.b', east)),
    ).toMatchObject({
      allowed: false,
      decision: 'implicit-deny',
    });
  });

  it('an explicit deny says so', () => {
    const other = createAuthorizer({
      principals: localPrincipals({ worker: { ...workerRole, roleName: 'Somebody' } }),
    });
    const check = other.check(
      worker,
      s3Calls({ method: 'PUT', url: '/imagegen-images/k', headers: {} }, scope),
    ) as AccessRefused;
    expect(check.decision).toBe('explicit-deny');
    expect(accessDeniedMessage(check)).toMatch(/with an explicit deny in an identity-based policy$/);
  });

  it('trusted keys are allowed everything; an unverified key is a programming error', () => {
    expect(
      authorizer.check(ADMIN.accessKeyId, [{ action: 's3:DeleteBucket', resource: '*', context: {} }]),
    ).toEqual({
      allowed: true,
    });
    expect(() => authorizer.check('NOPE', [])).toThrow(/unknown access key/);
  });
});
