import { rmSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';

import { IMAGE_SERVICES } from '@imagegen/contracts';

import { imageServiceInvokeArns } from './constructs/generator-api';
import { testApp } from './testing';

// What image editing (issue 12) asks of the generator's roles. The local cloud enforces IAM from this
// template, so each statement is asserted exactly: what is allowed, and that nothing wider is.

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type GeneratorFunction = 'Api' | 'Worker' | 'Abandoned';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function synth(overrides = {}): Template {
  const { app, stacks } = testApp(overrides);
  outdirs.push(app.outdir);
  return Template.fromStack(stacks.app);
}

/** A template value as text: Fn::Join joined, Ref and Fn::ImportValue as `${name}`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  if (typeof v['Ref'] === 'string') return `\${${v['Ref']}}`;
  if (v['Fn::ImportValue'] !== undefined) return '${bucketArn}';
  return JSON.stringify(value);
}

const actions = (s: Statement): string[] => [s.Action].flat();
const resources = (s: Statement): string[] => [s.Resource].flat().map(render);

function roleStatements(template: Template, fn: GeneratorFunction): Statement[] {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
    new RegExp(`^Generator${fn}[0-9A-F]{8}$`).test(id),
  );
  if (!found) throw new Error(`no function Generator${fn}`);
  const role = found[1].Properties.Role['Fn::GetAtt'][0] as string;
  // CDK moves what passes a role's inline policy size into managed policies attached by their Roles.
  const policies = [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ];
  return policies
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** Every (action, resource) pair a role's statements allow on S3 objects or Bedrock. */
function grants(template: Template, fn: GeneratorFunction, prefix: 's3:' | 'bedrock:'): string[] {
  return roleStatements(template, fn)
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) =>
      actions(s)
        .filter((a) => a.startsWith(prefix) && a !== 's3:ListBucket')
        .flatMap((a) => resources(s).map((r) => `${a} ${r}`)),
    );
}

describe('the generator roles for image editing', () => {
  // Bedrock away from the services' default source region, to show the profile ARN follows the calling region.
  const main = synth({ bedrockRegion: 'us-east-1' });

  it('lets the API sign upload POSTs, read, copy and delete uploads, and nothing else under uploads/', () => {
    const uploads = grants(main, 'Api', 's3:').filter((g) => g.includes('/uploads/'));
    expect(uploads.sort()).toEqual([
      's3:DeleteObject ${bucketArn}/uploads/*',
      's3:GetObject ${bucketArn}/uploads/*',
      's3:PutObject ${bucketArn}/uploads/*',
    ]);
    // And it still copies into the owner's prefix (an edit's inputs land under its job).
    expect(grants(main, 'Api', 's3:')).toEqual(
      expect.arrayContaining(['s3:PutObject ${bucketArn}/owners/*', 's3:GetObject ${bucketArn}/owners/*']),
    );
  });

  it("lets the worker read a job's copied inputs only, never uploads/", () => {
    const worker = grants(main, 'Worker', 's3:');
    expect(worker.filter((g) => g.startsWith('s3:GetObject'))).toEqual([
      's3:GetObject ${bucketArn}/owners/*/generations/*/inputs/*',
    ]);
    expect(worker.filter((g) => g.includes('/uploads/'))).toEqual([]);
    expect(grants(main, 'Abandoned', 's3:').filter((g) => g.includes('/uploads/'))).toEqual([]);
  });

  it('lets the worker invoke every image service: its us. profile in the calling region and its model in each region the profile routes to', () => {
    const invoke = grants(main, 'Worker', 'bedrock:').filter((g) => g.startsWith('bedrock:InvokeModel '));
    for (const service of IMAGE_SERVICES) {
      if (service.routing.profile === 'us') {
        expect(invoke).toContain(
          `bedrock:InvokeModel arn:\${AWS::Partition}:bedrock:us-east-1:\${AWS::AccountId}:inference-profile/us.${service.id}`,
        );
        for (const region of ['us-east-1', 'us-east-2', 'us-west-2'])
          expect(invoke).toContain(
            `bedrock:InvokeModel arn:\${AWS::Partition}:bedrock:${region}::foundation-model/${service.id}`,
          );
      } else {
        expect(invoke).toContain(
          `bedrock:InvokeModel arn:\${AWS::Partition}:bedrock:${service.routing.region}::foundation-model/${service.id}`,
        );
      }
    }
    // Nothing wider: no wildcard, no other action, no profile in another region, no other account.
    expect(invoke.filter((g) => g.includes('*'))).toEqual([]);
    expect(grants(main, 'Worker', 'bedrock:').every((g) => g.startsWith('bedrock:InvokeModel '))).toBe(true);
    expect(invoke.filter((g) => g.includes('inference-profile/') && !g.includes(':us-east-1:'))).toEqual([]);
    expect(grants(main, 'Api', 'bedrock:').filter((g) => g.startsWith('bedrock:InvokeModel'))).toEqual([]);
  });
});

describe(imageServiceInvokeArns.name, () => {
  it('names the profile in the calling region and the model in each destination region, once each', () => {
    const inpaint = IMAGE_SERVICES.filter((s) => s.id === 'stability.stable-image-inpaint-v1:0');
    expect(imageServiceInvokeArns('us-west-2', '123456789012', 'aws', inpaint)).toEqual([
      'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.stability.stable-image-inpaint-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/stability.stable-image-inpaint-v1:0',
      'arn:aws:bedrock:us-east-2::foundation-model/stability.stable-image-inpaint-v1:0',
      'arn:aws:bedrock:us-west-2::foundation-model/stability.stable-image-inpaint-v1:0',
    ]);
    const all = imageServiceInvokeArns('us-west-2', '123456789012', 'aws');
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain('arn:aws:bedrock:us-west-2::foundation-model/stability.sd3-5-large-v1:0');
  });
});
