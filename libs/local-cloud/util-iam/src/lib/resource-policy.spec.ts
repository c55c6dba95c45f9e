import { PolicyStatement } from './policy';
import {
  CallerIdentity,
  combineSameAccount,
  evaluateResourcePolicy,
  principalNames,
} from './resource-policy';

const ACCOUNT = '000000000000';
const BFF_ROLE = `arn:aws:iam::${ACCOUNT}:role/BffTaskRole`;
const caller = (role: string): CallerIdentity => ({
  roleArn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
  account: ACCOUNT,
  sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/session`,
});
const API = `arn:aws:execute-api:us-west-2:${ACCOUNT}:api123/*`;
const RESOURCE = `arn:aws:execute-api:us-west-2:${ACCOUNT}:api123/prod/POST/generations`;

/** The policy infra's invokerOnlyPolicy synthesizes: deny everyone but the BFF role, allow the BFF role. */
const INVOKER_ONLY: PolicyStatement[] = [
  {
    Sid: 'OnlyTheBff',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 'execute-api:Invoke',
    Resource: API,
    Condition: { ArnNotEquals: { 'aws:PrincipalArn': BFF_ROLE } },
  },
  {
    Sid: 'TheBff',
    Effect: 'Allow',
    Principal: { AWS: BFF_ROLE },
    Action: 'execute-api:Invoke',
    Resource: API,
  },
];

const verdict = (who: CallerIdentity, statements = INVOKER_ONLY) =>
  evaluateResourcePolicy({
    statements,
    caller: who,
    action: 'execute-api:Invoke',
    resource: RESOURCE,
    context: { 'aws:PrincipalArn': who.roleArn },
  }).decision;

describe(evaluateResourcePolicy.name, () => {
  it('allows the BFF role and explicitly denies every other role of the account', () => {
    expect(verdict(caller('BffTaskRole'))).toBe('allow');
    expect(verdict(caller('WorkerRole'))).toBe('explicit-deny');
  });

  it('neither allows nor denies a caller no statement names', () => {
    expect(verdict(caller('WorkerRole'), [INVOKER_ONLY[1]])).toBe('implicit-deny');
  });
});

describe(principalNames.name, () => {
  it('names everyone by "*", a role by its ARN (its sessions), and an account only for a Deny', () => {
    const worker = caller('WorkerRole');
    expect(principalNames('*', worker, 'Allow')).toBe(true);
    expect(principalNames({ AWS: worker.roleArn }, worker, 'Allow')).toBe(true);
    expect(principalNames({ AWS: [BFF_ROLE] }, worker, 'Allow')).toBe(false);
    expect(principalNames({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, worker, 'Allow')).toBe(false);
    expect(principalNames({ AWS: ACCOUNT }, worker, 'Deny')).toBe(true);
    expect(principalNames({ Service: 'lambda.amazonaws.com' }, worker, 'Allow')).toBe(false);
  });
});

describe(combineSameAccount.name, () => {
  it.each([
    ['allow', 'allow', 'allow'],
    ['allow', 'implicit-deny', 'allow'],
    ['allow', 'explicit-deny', 'explicit-deny'],
    ['implicit-deny', 'allow', 'allow'],
    ['implicit-deny', 'implicit-deny', 'implicit-deny'],
    ['implicit-deny', 'explicit-deny', 'explicit-deny'],
    ['explicit-deny', 'allow', 'explicit-deny'],
  ] as const)(
    'identity %s with resource policy %s: %s (API Gateway table A, same account)',
    (id, rp, out) => {
      expect(combineSameAccount(id, rp)).toBe(out);
    },
  );
});
