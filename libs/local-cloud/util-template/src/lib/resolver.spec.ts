import { TemplateResolveError, TemplateResolver } from './resolver';
import { StackTemplate } from './template-types';

const ENV = { account: '000000000000', region: 'us-west-2' };

const stateful: StackTemplate = {
  stackName: 'Data',
  template: {
    Resources: {
      Images: { Type: 'AWS::S3::Bucket', Properties: {} },
      Named: {
        Type: 'AWS::S3::Bucket',
        Properties: { BucketName: { 'Fn::Sub': 'named-${AWS::AccountId}' } },
      },
      Jobs: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    },
    Outputs: {
      BucketName: { Value: { Ref: 'Images' }, Export: { Name: 'ImagesName' } },
      TableArn: {
        Value: { 'Fn::GetAtt': ['Jobs', 'Arn'] },
        Export: { Name: { 'Fn::Join': ['-', ['Jobs', 'Arn']] } },
      },
    },
  },
};

const app: StackTemplate = {
  stackName: 'App',
  template: {
    Parameters: { Stage: { Type: 'String', Default: 'prod' } },
    Conditions: {
      IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
      NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
      Both: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Or': [{ Condition: 'NotProd' }, true] }] },
    },
    Mappings: { Sizes: { prod: { memory: 1024 } } },
    Resources: {
      Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
      Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'fixed-role' } },
      Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
      OnlyInDev: { Type: 'AWS::SNS::Topic', Condition: 'NotProd', Properties: {} },
    },
  },
};

const resolver = () => new TemplateResolver([stateful, app], ENV);

describe(TemplateResolver.name, () => {
  it('answers the pseudo parameters for the fixed local account and region', () => {
    const r = resolver();
    expect(
      r.resolve('App', [
        { Ref: 'AWS::Region' },
        { Ref: 'AWS::AccountId' },
        { Ref: 'AWS::Partition' },
        { Ref: 'AWS::URLSuffix' },
        { Ref: 'AWS::StackName' },
      ]),
    ).toEqual(['us-west-2', '000000000000', 'aws', 'amazonaws.com', 'App']);
  });

  it('resolves Ref to resources as deterministic physical names, and to parameters as their default', () => {
    const r = resolver();
    expect(r.resolve('App', { Ref: 'Fn' })).toBe('App-Fn');
    expect(r.resolve('App', { Ref: 'Role' })).toBe('fixed-role');
    expect(r.resolve('Data', { Ref: 'Images' })).toBe('data-images');
    expect(r.resolve('Data', { Ref: 'Named' })).toBe('named-000000000000');
    expect(r.resolve('App', { Ref: 'Stage' })).toBe('prod');
    // The same template resolves the same way every time
    expect(resolver().resolve('App', { Ref: 'Api' })).toBe(r.resolve('App', { Ref: 'Api' }));
    expect(r.resolve('App', { Ref: 'Api' })).toMatch(/^[a-z0-9]{10}$/);
    expect(() => r.resolve('App', { Ref: 'Nothing' })).toThrow(TemplateResolveError);
  });

  it('resolves Fn::GetAtt (both forms) to the ARNs and ids AWS would give', () => {
    const r = resolver();
    expect(r.resolve('App', { 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe(
      'arn:aws:lambda:us-west-2:000000000000:function:App-Fn',
    );
    expect(r.resolve('App', { 'Fn::GetAtt': 'Role.Arn' })).toBe('arn:aws:iam::000000000000:role/fixed-role');
    expect(r.resolve('Data', { 'Fn::GetAtt': ['Jobs', 'Arn'] })).toBe(
      'arn:aws:dynamodb:us-west-2:000000000000:table/Data-Jobs',
    );
    expect(r.resolve('Data', { 'Fn::GetAtt': ['Images', 'Arn'] })).toBe('arn:aws:s3:::data-images');
    expect(r.resolve('App', { 'Fn::GetAtt': ['Api', 'RootResourceId'] })).toMatch(/^[a-z0-9]{10}$/);
  });

  it('resolves Fn::Join, Fn::Select, Fn::Split and both forms of Fn::Sub', () => {
    const r = resolver();
    expect(r.resolve('App', { 'Fn::Join': [':', ['a', { Ref: 'AWS::Region' }]] })).toBe('a:us-west-2');
    expect(r.resolve('App', { 'Fn::Select': [1, { 'Fn::Split': ['/', 'x/y/z'] }] })).toBe('y');
    expect(r.resolve('App', { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Fn}/${Fn.Arn} ${!Literal}' })).toBe(
      'arn:aws:s3:::App-Fn/arn:aws:lambda:us-west-2:000000000000:function:App-Fn ${Literal}',
    );
    expect(r.resolve('App', { 'Fn::Sub': ['${Name}-${AWS::Region}', { Name: { Ref: 'Role' } }] })).toBe(
      'fixed-role-us-west-2',
    );
  });

  it("resolves Fn::ImportValue from the other stack's exports (names resolved too)", () => {
    const r = resolver();
    expect(r.resolve('App', { 'Fn::ImportValue': 'ImagesName' })).toBe('data-images');
    // What CDK writes for a table name imported by ARN
    expect(
      r.resolve('App', {
        'Fn::Select': [
          1,
          {
            'Fn::Split': [
              '/',
              { 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::ImportValue': 'Jobs-Arn' }] }] },
            ],
          },
        ],
      }),
    ).toBe('Data-Jobs');
    expect(() => r.resolve('App', { 'Fn::ImportValue': 'Nope' })).toThrow(/no stack exports Nope/);
  });

  it('evaluates Conditions, Fn::If, Fn::FindInMap and AWS::NoValue, and leaves out resources whose condition is false', () => {
    const r = resolver();
    expect(r.condition('App', 'IsProd')).toBe(true);
    expect(r.condition('App', 'Both')).toBe(true);
    expect(r.resolve('App', { 'Fn::If': ['IsProd', 'big', 'small'] })).toBe('big');
    expect(r.resolve('App', { A: { 'Fn::If': ['NotProd', 1, { Ref: 'AWS::NoValue' }] }, B: 2 })).toEqual({
      B: 2,
    });
    expect(r.resolve('App', { 'Fn::FindInMap': ['Sizes', 'prod', 'memory'] })).toBe(1024);
    expect(r.resourcesOfType('AWS::SNS::Topic')).toEqual([]);
    expect(() => r.resolve('App', { 'Fn::Transform': {} })).toThrow(/unsupported intrinsic/);
  });
});
