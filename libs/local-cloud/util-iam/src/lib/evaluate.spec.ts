import { actionMatches, arnMatches, authorize, conditionsHold } from './evaluate';
import { ConditionContext, PolicyStatement } from './policy';

const BUCKET = 'arn:aws:s3:::imagegen-images';
const TABLE = 'arn:aws:dynamodb:us-west-2:000000000000:table/imagegen-generations';

describe(authorize.name, () => {
  const allowGet: PolicyStatement = { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/*` };
  const cases: readonly {
    readonly name: string;
    readonly statements: readonly PolicyStatement[];
    readonly action: string;
    readonly resource: string;
    readonly context?: ConditionContext;
    readonly decision: 'allow' | 'explicit-deny' | 'implicit-deny';
  }[] = [
    {
      name: 'nothing allowed: implicit deny',
      statements: [],
      action: 's3:GetObject',
      resource: `${BUCKET}/a`,
      decision: 'implicit-deny',
    },
    {
      name: 'a matching Allow allows',
      statements: [allowGet],
      action: 's3:GetObject',
      resource: `${BUCKET}/owners/o/x.png`,
      decision: 'allow',
    },
    {
      name: 'another action is refused',
      statements: [allowGet],
      action: 's3:PutObject',
      resource: `${BUCKET}/a`,
      decision: 'implicit-deny',
    },
    {
      name: 'the bucket itself is not an object: refused',
      statements: [allowGet],
      action: 's3:GetObject',
      resource: BUCKET,
      decision: 'implicit-deny',
    },
    {
      name: 'an explicit Deny wins over an Allow (whatever the order)',
      statements: [
        { Effect: 'Deny', Action: 's3:*', Resource: `${BUCKET}/secret/*` },
        { Effect: 'Allow', Action: '*', Resource: '*' },
      ],
      action: 's3:GetObject',
      resource: `${BUCKET}/secret/k`,
      decision: 'explicit-deny',
    },
    {
      name: 'a Deny that does not match leaves the Allow',
      statements: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: 's3:*', Resource: `${BUCKET}/secret/*` },
      ],
      action: 's3:GetObject',
      resource: `${BUCKET}/public/k`,
      decision: 'allow',
    },
    {
      name: 'actions are case-insensitive with * and ?',
      statements: [{ Effect: 'Allow', Action: ['DYNAMODB:get*', 'dynamodb:?uery'], Resource: TABLE }],
      action: 'dynamodb:Query',
      resource: TABLE,
      decision: 'allow',
    },
    {
      name: 'resources are case-sensitive',
      statements: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE.toUpperCase() }],
      action: 'dynamodb:GetItem',
      resource: TABLE,
      decision: 'implicit-deny',
    },
    {
      name: 'a table grant does not cover its indexes',
      statements: [{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: TABLE }],
      action: 'dynamodb:Query',
      resource: `${TABLE}/index/byStatus`,
      decision: 'implicit-deny',
    },
    {
      name: 'NotAction allows everything else',
      statements: [{ Effect: 'Allow', NotAction: 'dynamodb:Delete*', Resource: '*' }],
      action: 'dynamodb:PutItem',
      resource: TABLE,
      decision: 'allow',
    },
    {
      name: 'NotAction excludes what it names',
      statements: [{ Effect: 'Allow', NotAction: 'dynamodb:Delete*', Resource: '*' }],
      action: 'dynamodb:DeleteItem',
      resource: TABLE,
      decision: 'implicit-deny',
    },
    {
      name: 'NotResource: a Deny of everything but one table',
      statements: [
        { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
        { Effect: 'Deny', Action: 'dynamodb:*', NotResource: TABLE },
      ],
      action: 'dynamodb:GetItem',
      resource: 'arn:aws:dynamodb:us-west-2:000000000000:table/other',
      decision: 'explicit-deny',
    },
    {
      name: 'a statement with neither Resource nor NotResource matches nothing',
      statements: [{ Effect: 'Allow', Action: '*' }],
      action: 's3:GetObject',
      resource: `${BUCKET}/a`,
      decision: 'implicit-deny',
    },
    {
      name: 'a failed condition keeps an Allow from applying',
      statements: [
        {
          Effect: 'Allow',
          Action: 'bedrock:GetFoundationModelAvailability',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
        },
      ],
      action: 'bedrock:GetFoundationModelAvailability',
      resource: '*',
      context: { 'aws:RequestedRegion': 'us-west-2' },
      decision: 'implicit-deny',
    },
    {
      name: 'a met condition on a Deny denies',
      statements: [
        { Effect: 'Allow', Action: 'bedrock:*', Resource: '*' },
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-east-2'] } },
        },
      ],
      action: 'bedrock:InvokeModel',
      resource: 'arn:aws:bedrock:us-west-2::foundation-model/stability.sd3-5-large-v1:0',
      context: { 'aws:RequestedRegion': 'us-west-2' },
      decision: 'explicit-deny',
    },
  ];

  it.each(cases)('$name → $decision', ({ statements, action, resource, context, decision }) => {
    expect(authorize({ statements, action, resource, ...(context ? { context } : {}) }).decision).toBe(
      decision,
    );
  });

  it('names the statement that decided', () => {
    const deny: PolicyStatement = {
      Sid: 'NoDelete',
      Effect: 'Deny',
      Action: 's3:DeleteObject',
      Resource: '*',
    };
    expect(
      authorize({ statements: [allowGet, deny], action: 's3:DeleteObject', resource: `${BUCKET}/k` }).matched,
    ).toBe(deny);
    expect(
      authorize({ statements: [allowGet], action: 's3:GetObject', resource: `${BUCKET}/k` }).matched,
    ).toBe(allowGet);
  });
});

describe(actionMatches.name, () => {
  it.each([
    ['*', 's3:GetObject', true],
    ['s3:*', 's3:GetObject', true],
    ['s3:get*', 's3:GetObject', true],
    ['s3:Get?bject', 's3:GetObject', true],
    ['s3:Get?bject', 's3:GetObjectX', false],
    ['s3:GetObject', 's3:GetObjectVersion', false],
    ['s3:*Object', 'dynamodb:GetObject', false],
  ])('%s vs %s → %s', (pattern, action, expected) => expect(actionMatches(pattern, action)).toBe(expected));
});

describe(arnMatches.name, () => {
  it.each([
    ['*', 'arn:aws:s3:::b/k', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/owners/o/g/i.png', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b', false],
    ['arn:aws:s3:::b*', 'arn:aws:s3:::bucket/k', true],
    ['arn:aws:s3:::b?', 'arn:aws:s3:::bc', true],
    ['arn:aws:s3:::b?', 'arn:aws:s3:::b', false],
    // a * ending a segment may run past the following colons
    ['arn:aws:dynamodb:*', 'arn:aws:dynamodb:us-west-2:000000000000:table/t', true],
    ['arn:aws:dynamodb:us-*:*:table/t', 'arn:aws:dynamodb:us-west-2:000000000000:table/t', true],
    // a * inside a segment stays within it
    ['arn:aws:dyn*db:us-west-2:0:table/t', 'arn:aws:dynamodb:us-west-2:0:table/t', true],
    ['arn:aws:lambda:us-west-2:0:function:w', 'arn:aws:lambda:us-west-2:0:function:w:live', false],
    ['arn:aws:lambda:us-west-2:0:function:w:*', 'arn:aws:lambda:us-west-2:0:function:w:live', true],
    [
      'arn:aws:bedrock:*::foundation-model/stability.*',
      'arn:aws:bedrock:us-west-2::foundation-model/stability.sd3-5-large-v1:0',
      true,
    ],
    [
      'arn:aws:bedrock:us-east-1::foundation-model/*',
      'arn:aws:bedrock:us-west-2::foundation-model/x.y',
      false,
    ],
    ['arn:aws:s3:::B/*', 'arn:aws:s3:::b/k', false],
  ])('%s vs %s → %s', (pattern, arn, expected) => expect(arnMatches(pattern, arn)).toBe(expected));
});

describe(conditionsHold.name, () => {
  const ctx: ConditionContext = {
    'aws:RequestedRegion': 'us-west-2',
    's3:prefix': 'owners/anon-1/',
    's3:max-keys': '1000',
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': 'arn:aws:iam::000000000000:role/Api',
    'aws:TagKeys': ['team', 'cost'],
  };
  it.each<[string, NonNullable<PolicyStatement['Condition']>, boolean]>([
    ['StringEquals matches exactly', { StringEquals: { 'aws:RequestedRegion': 'us-west-2' } }, true],
    ['StringEquals is case-sensitive', { StringEquals: { 'aws:RequestedRegion': 'US-WEST-2' } }, false],
    ['key names are case-insensitive', { StringEquals: { 'AWS:requestedregion': 'us-west-2' } }, true],
    ['several values: OR', { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2'] } }, true],
    ['StringEqualsIgnoreCase', { StringEqualsIgnoreCase: { 'aws:RequestedRegion': 'US-WEST-2' } }, true],
    ['StringNotEquals', { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } }, true],
    [
      'StringNotEquals refusing the value',
      { StringNotEquals: { 'aws:RequestedRegion': ['us-west-2'] } },
      false,
    ],
    ['StringLike with *', { StringLike: { 's3:prefix': 'owners/*' } }, true],
    ['StringLike with ?', { StringLike: { 's3:prefix': 'owners/anon-?/' } }, true],
    ['StringLike not matching', { StringLike: { 's3:prefix': 'public/*' } }, false],
    ['StringNotLike', { StringNotLike: { 's3:prefix': 'public/*' } }, true],
    ['an absent key makes a positive operator false', { StringEquals: { 's3:delimiter': '/' } }, false],
    ['…and StringLike false', { StringLike: { 's3:delimiter': '*' } }, false],
    ['…but a negated operator true', { StringNotEquals: { 's3:delimiter': '/' } }, true],
    ['…and IfExists true', { StringEqualsIfExists: { 's3:delimiter': '/' } }, true],
    ['IfExists still compares a present key', { StringEqualsIfExists: { 's3:prefix': 'x' } }, false],
    ['Null true: the key is absent', { Null: { 's3:delimiter': 'true' } }, true],
    ['Null true on a present key', { Null: { 's3:prefix': 'true' } }, false],
    ['Null false: the key is present', { Null: { 's3:prefix': 'false' } }, true],
    ['Bool (a JSON boolean in the policy)', { Bool: { 'aws:SecureTransport': true } }, true],
    ['Bool false', { Bool: { 'aws:SecureTransport': 'false' } }, false],
    ['NumericLessThanEquals', { NumericLessThanEquals: { 's3:max-keys': 1000 } }, true],
    ['NumericLessThan', { NumericLessThan: { 's3:max-keys': '1000' } }, false],
    ['NumericGreaterThan', { NumericGreaterThan: { 's3:max-keys': '10' } }, true],
    ['ArnLike', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/A*' } }, true],
    ['ArnEquals', { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::000000000000:role/Worker' } }, false],
    ['ArnNotLike', { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/W*' } }, true],
    ['AND across keys', { StringEquals: { 'aws:RequestedRegion': 'us-west-2', 's3:prefix': 'x' } }, false],
    [
      'AND across operators',
      { StringEquals: { 'aws:RequestedRegion': 'us-west-2' }, StringLike: { 's3:prefix': 'owners/*' } },
      true,
    ],
    ['ForAnyValue: one value matches', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['cost'] } }, true],
    ['ForAllValues: not every value', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['cost'] } }, false],
    ['ForAllValues: every value', { 'ForAllValues:StringLike': { 'aws:TagKeys': ['team', 'c*'] } }, true],
    ['ForAllValues: an absent key is true', { 'ForAllValues:StringEquals': { 'aws:Nope': 'x' } }, true],
    ['ForAnyValue: an absent key is false', { 'ForAnyValue:StringEquals': { 'aws:Nope': 'x' } }, false],
    ['an unknown operator never holds', { StringSoundsLike: { 's3:prefix': 'owners' } }, false],
  ])('%s', (_name, condition, expected) => expect(conditionsHold(condition, ctx)).toBe(expected));
});
