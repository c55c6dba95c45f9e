import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { callableModels } from '@imagegen/contracts';

import { GENERATOR_TIMEOUTS } from './constructs/generator-api';
import { testApp } from './testing';

const synth = (overrides = {}, options = {}) => {
  const { app, stacks } = testApp(overrides, options);
  return { app, stateful: Template.fromStack(stacks.stateful), main: Template.fromStack(stacks.app) };
};

describe('imagegen CDK app', () => {
  const { app, stateful, main } = synth();

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });

  describe('Storage', () => {
    it('keeps the image bucket private, encrypted, TLS-only, logged, CORS-limited and expiring', () => {
      stateful.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]) },
          CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['GET', 'HEAD'] })] },
          LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'images/' }),
        }),
      });
      stateful.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    });

    it('keeps the stateful logical ids (renaming one would replace the data)', () => {
      expect(Object.keys(stateful.findResources('AWS::DynamoDB::Table'))).toEqual(['StorageGenerations86CABCF2']);
      expect(Object.keys(stateful.findResources('AWS::S3::Bucket')).sort()).toEqual(['StorageAccessLogs96FB524C', 'StorageImagesCFC0E004']);
    });

    it('has a jobs table keyed by owner and id, on demand, with PITR, TTL and retained', () => {
      stateful.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          KeySchema: [{ AttributeName: 'ownerId', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }],
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          DeletionProtectionEnabled: true,
        }),
      });
    });
  });

  describe('Network', () => {
    it('spans two AZs with public and private subnets, one NAT, S3 and DynamoDB endpoints and flow logs', () => {
      main.resourceCountIs('AWS::EC2::Subnet', 4);
      main.resourceCountIs('AWS::EC2::NatGateway', 1);
      main.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
      main.resourceCountIs('AWS::EC2::FlowLog', 1);
    });

    it('puts one NAT gateway per AZ when asked', () => {
      synth({ natGateways: 2 }).main.resourceCountIs('AWS::EC2::NatGateway', 2);
    });
  });

  describe('Generator', () => {
    it('runs the worker on the newest Node runtime with reserved concurrency and an on-failure destination', () => {
      main.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.workerHandler',
        Runtime: 'nodejs24.x',
        ReservedConcurrentExecutions: 4,
        Timeout: GENERATOR_TIMEOUTS.worker.toSeconds(),
        TracingConfig: { Mode: 'Active' },
      });
      main.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    });

    it('keeps timeouts inside each other', () => {
      expect(GENERATOR_TIMEOUTS.bedrockAttempts * GENERATOR_TIMEOUTS.bedrockAttemptMs).toBeLessThan(GENERATOR_TIMEOUTS.worker.toMilliseconds());
      expect(GENERATOR_TIMEOUTS.api.toMilliseconds()).toBeLessThan(GENERATOR_TIMEOUTS.apiGatewayIntegration.toMilliseconds());
      main.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.apiHandler', Timeout: 25 });
    });

    it('lets the worker invoke only the catalog’s callable models, in the Bedrock region', () => {
      const policies = main.findResources('AWS::IAM::Policy');
      const bedrock = Object.values(policies)
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s: { Action: unknown }) => s.Action === 'bedrock:InvokeModel');
      expect(bedrock).toHaveLength(1);
      const resources = (bedrock[0].Resource as { 'Fn::Join': [string, unknown[]] }[]).map((r) => JSON.stringify(r));
      expect(resources).toHaveLength(callableModels().length);
      for (const m of callableModels()) expect(resources.some((r) => r.includes(`:bedrock:us-west-2::foundation-model/${m.id}`))).toBe(true);
    });

    it('requires IAM auth on every method of the REST API, with stage throttling, tracing and access logs', () => {
      const methods = Object.values(main.findResources('AWS::ApiGateway::Method'));
      expect(methods.length).toBeGreaterThan(0);
      for (const m of methods) expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
      main.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        TracingEnabled: true,
        AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
        MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })]),
      });
    });
  });

  describe('Web', () => {
    it('routes /api/* to the BFF and the rest to the web service, with health checks', () => {
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', { Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }] });
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/api/health', Port: 3333 });
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/', Port: 8080 });
    });

    it('runs both services in the private subnets, without public IPs', () => {
      const privateSubnets = Object.entries(main.findResources('AWS::EC2::Subnet'))
        .filter(([, r]) => JSON.stringify(r.Properties.Tags).includes('Private'))
        .map(([id]) => id)
        .sort();
      for (const svc of Object.values(main.findResources('AWS::ECS::Service'))) {
        const vpc = svc.Properties.NetworkConfiguration.AwsvpcConfiguration;
        expect(vpc.AssignPublicIp).toBe('DISABLED');
        expect(vpc.Subnets.map((s: { Ref: string }) => s.Ref).sort()).toEqual(privateSubnets);
      }
    });

    it('runs two Fargate services with rollback on failed deployments and Container Insights', () => {
      main.resourceCountIs('AWS::ECS::Service', 2);
      main.hasResourceProperties('AWS::ECS::Service', { DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }), DesiredCount: 2 });
      main.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    });

    it('gives the BFF its cookie key from Secrets Manager and lets it call only the generator API', () => {
      main.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [Match.objectLike({ Name: 'bff', Secrets: [Match.objectLike({ Name: 'COOKIE_SECRET' })], Environment: Match.not(Match.arrayWith([Match.objectLike({ Name: 'COOKIE_SECRET' })])) })],
      });
      const statements = Object.values(main.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements.filter((s: { Action: unknown }) => s.Action === 'execute-api:Invoke')).toHaveLength(1);
    });

    it('scales on CPU and requests, and drains longer than a request lasts', () => {
      main.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 2);
      main.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 4);
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Port: 3333,
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }]),
      });
    });

    it('puts a WAF with managed rules and a per-IP rate rule on the ALB', () => {
      main.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        Rules: Match.arrayWith([
          Match.objectLike({ Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP' } }, Action: { Block: {} } }),
          Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } }),
        ]),
      });
      main.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    });

    it('serves plain HTTP without a domain, and HTTPS with a redirect and an alias when one is given', () => {
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
      const withDomain = synth(
        { account: '123456789012', domainName: 'images.example.com', hostedZoneName: 'example.com', cognito: true },
        { context: { 'hosted-zone:account=123456789012:domainName=example.com:region=us-west-2': { Id: '/hostedzone/Z123', Name: 'example.com.' } } },
      );
      withDomain.main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS' });
      withDomain.main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
      });
      withDomain.main.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'images.example.com.', Type: 'A' });
      withDomain.main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, DefaultActions: Match.arrayWith([Match.objectLike({ Type: 'authenticate-cognito' })]) });
      // The BFF then takes the signed-in identity from the ALB's token (and only from this ALB).
      withDomain.main.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [Match.objectLike({ Name: 'bff', Environment: Match.arrayWith([Match.objectLike({ Name: 'OIDC_ALB_ARN', Value: { Ref: Match.stringLikeRegexp('Alb') } })]) })],
      });
    });
  });

  it('matches the reviewed templates (asset hashes aside): unintended changes show in review', () => {
    const normalize = (t: unknown) => JSON.parse(JSON.stringify(t).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
    expect(normalize(stateful.toJSON())).toMatchSnapshot('ImagegenStateful');
    expect(normalize(main.toJSON())).toMatchSnapshot('ImagegenApp');
  });

  it('bundles the generator with the local esbuild (no Docker) into one asset', () => {
    const bundled = testApp({}, { bundle: true });
    const assembly = bundled.app.synth();
    const template = assembly.getStackByName('ImagegenApp').template as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
    const assets = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'])
      .map((r) => join(assembly.directory, r.Metadata?.['aws:asset:path'] as string, 'index.js'));
    expect(assets.length).toBe(3);
    expect(existsSync(assets[0])).toBe(true);
    expect(readFileSync(assets[0], 'utf8')).toContain('workerHandler');
  });
});
