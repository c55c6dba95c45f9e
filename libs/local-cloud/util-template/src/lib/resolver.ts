import { createHash } from 'node:crypto';

import { CfnResource, LocalEnvironment, StackTemplate } from './template-types';

/** A template value the resolver cannot turn into data (an unknown intrinsic, a missing resource or export). */
export class TemplateResolveError extends Error {
  override readonly name = 'TemplateResolveError';
}

/** `AWS::NoValue`: the property or list element is removed, as CloudFormation does. */
const NO_VALUE = Symbol('AWS::NoValue');

const short = (text: string, length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string => {
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[digest[i] % alphabet.length];
  return out;
};

/**
 * Resolves CloudFormation intrinsics for one fixed local account and region, across the stacks of
 * one assembly (Fn::ImportValue reads the other stacks' exports). Physical names are deterministic:
 * a resource's own name property when the template sets one, else `<stack>-<logicalId>` (lower case
 * for S3), and API Gateway ids are short hashes of the same: the same template resolves the same
 * way on every start.
 */
export class TemplateResolver {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly urlSuffix: string;
  private readonly stacks = new Map<string, StackTemplate>();
  private exports?: Map<string, unknown>;
  private readonly resolving = new Set<string>();

  constructor(stacks: readonly StackTemplate[], env: LocalEnvironment) {
    this.account = env.account;
    this.region = env.region;
    this.partition = env.partition ?? 'aws';
    this.urlSuffix = env.urlSuffix ?? 'amazonaws.com';
    for (const s of stacks) this.stacks.set(s.stackName, s);
  }

  stackNames(): string[] {
    return [...this.stacks.keys()];
  }

  template(stackName: string): StackTemplate['template'] {
    const stack = this.stacks.get(stackName);
    if (!stack) throw new TemplateResolveError(`no stack ${stackName}`);
    return stack.template;
  }

  resource(stackName: string, logicalId: string): CfnResource {
    const r = this.template(stackName).Resources[logicalId];
    if (!r) throw new TemplateResolveError(`stack ${stackName} has no resource ${logicalId}`);
    return r;
  }

  /** Every resource of a type, with its stack and logical id (resources whose Condition is false are left out). */
  resourcesOfType(type: string): { stackName: string; logicalId: string; resource: CfnResource }[] {
    const out: { stackName: string; logicalId: string; resource: CfnResource }[] = [];
    for (const [stackName, { template }] of this.stacks) {
      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        if (resource.Type !== type) continue;
        if (resource.Condition && !this.condition(stackName, resource.Condition)) continue;
        out.push({ stackName, logicalId, resource });
      }
    }
    return out;
  }

  /** Resolves every intrinsic in `value` (deeply), in the given stack. */
  resolve(stackName: string, value: unknown): unknown {
    const out = this.walk(stackName, value);
    return out === NO_VALUE ? undefined : out;
  }

  /** Resolves a value that must come out a string. */
  resolveString(stackName: string, value: unknown): string {
    const out = this.resolve(stackName, value);
    if (typeof out === 'string') return out;
    if (typeof out === 'number' || typeof out === 'boolean') return String(out);
    throw new TemplateResolveError(`expected a string, got ${JSON.stringify(out)?.slice(0, 200)}`);
  }

  /** The value of a Condition of the stack. */
  condition(stackName: string, name: string): boolean {
    const def = this.template(stackName).Conditions?.[name];
    if (def === undefined) throw new TemplateResolveError(`stack ${stackName} has no condition ${name}`);
    return Boolean(this.resolve(stackName, def));
  }

  /** What `Ref` answers for a resource: its physical name (or id, or ARN where CloudFormation says so). */
  physicalId(stackName: string, logicalId: string): string {
    const r = this.resource(stackName, logicalId);
    const props = r.Properties ?? {};
    const own = (key: string) =>
      props[key] === undefined ? undefined : this.resolveString(stackName, props[key]);
    const base = `${stackName}-${logicalId}`;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return own('BucketName') ?? base.toLowerCase().slice(0, 63);
      case 'AWS::DynamoDB::Table':
        return own('TableName') ?? base.slice(0, 255);
      case 'AWS::Lambda::Function':
        return own('FunctionName') ?? base.slice(0, 64);
      case 'AWS::IAM::Role':
        return own('RoleName') ?? base.slice(0, 64);
      case 'AWS::IAM::Policy':
        return own('PolicyName') ?? base.slice(0, 128);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${this.partition}:iam::${this.account}:policy/${own('ManagedPolicyName') ?? base}`;
      case 'AWS::Logs::LogGroup':
        return own('LogGroupName') ?? `/local/${base}`;
      case 'AWS::SNS::Topic':
        return `arn:${this.partition}:sns:${this.region}:${this.account}:${own('TopicName') ?? base}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.${this.urlSuffix}/${this.account}/${own('QueueName') ?? base}`;
      case 'AWS::ApiGateway::RestApi':
        return short(base, 10);
      case 'AWS::ApiGateway::Stage':
        return own('StageName') ?? base;
      case 'AWS::ApiGateway::Resource':
      case 'AWS::ApiGateway::Deployment':
      case 'AWS::ApiGateway::RequestValidator':
        return short(base, 6);
      default: {
        // EC2 and the rest: an id of the usual shape (vpc-…, sg-…, subnet-…), or the plain base name.
        const prefix: Readonly<Record<string, string>> = {
          'AWS::EC2::VPC': 'vpc',
          'AWS::EC2::SecurityGroup': 'sg',
          'AWS::EC2::Subnet': 'subnet',
          'AWS::EC2::RouteTable': 'rtb',
          'AWS::EC2::InternetGateway': 'igw',
          'AWS::EC2::NatGateway': 'nat',
          'AWS::EC2::EIP': '192.0.2.1',
        };
        const p = prefix[r.Type];
        if (p === '192.0.2.1') return p;
        return p ? `${p}-${short(base, 17, '0123456789abcdef')}` : base;
      }
    }
  }

  /** What `Fn::GetAtt` answers for a resource's attribute. */
  attribute(stackName: string, logicalId: string, attribute: string): unknown {
    const r = this.resource(stackName, logicalId);
    const name = () => this.physicalId(stackName, logicalId);
    const { partition: p, region, account } = this;
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::Lambda::Function.Arn':
        return `arn:${p}:lambda:${region}:${account}:function:${name()}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${p}:iam::${account}:role/${name()}`;
      case 'AWS::IAM::Role.RoleId':
        return `AROA${short(`${stackName}-${logicalId}`, 17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:${p}:dynamodb:${region}:${account}:table/${name()}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:${p}:dynamodb:${region}:${account}:table/${name()}/stream/1970-01-01T00:00:00.000`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:${p}:s3:::${name()}`;
      case 'AWS::S3::Bucket.DomainName':
        return `${name()}.s3.${this.urlSuffix}`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${name()}.s3.${region}.${this.urlSuffix}`;
      case 'AWS::ApiGateway::RestApi.RootResourceId':
        return short(`${stackName}-${logicalId}/`, 10);
      case 'AWS::ApiGateway::RestApi.RestApiId':
        return name();
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${p}:logs:${region}:${account}:log-group:${name()}:*`;
      case 'AWS::SNS::Topic.TopicArn':
        return name();
      case 'AWS::SQS::Queue.Arn':
        return `arn:${p}:sqs:${region}:${account}:${name().split('/').pop()}`;
      case 'AWS::SQS::Queue.QueueUrl':
        return name();
      case 'AWS::EC2::SecurityGroup.GroupId':
        return name();
      case 'AWS::IAM::ManagedPolicy.PolicyArn':
        return name();
      default:
        // Attributes nothing local reads (load balancers, certificates…): a stable placeholder.
        return `${name()}.${attribute}`;
    }
  }

  /** The value of an export of any stack in the assembly. */
  importValue(exportName: string): unknown {
    if (!this.exports) {
      const found = new Map<string, unknown>();
      for (const [stackName, { template }] of this.stacks) {
        for (const output of Object.values(template.Outputs ?? {})) {
          if (output.Export === undefined) continue;
          found.set(this.resolveString(stackName, output.Export.Name), { stackName, value: output.Value });
        }
      }
      this.exports = found;
    }
    const entry = this.exports.get(exportName) as { stackName: string; value: unknown } | undefined;
    if (!entry) throw new TemplateResolveError(`no stack exports ${exportName}`);
    return this.resolve(entry.stackName, entry.value);
  }

  private pseudo(stackName: string, name: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return this.urlSuffix;
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${stackName}/${short(stackName, 8, '0123456789abcdef')}`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private ref(stackName: string, name: string): unknown {
    const pseudo = this.pseudo(stackName, name);
    if (pseudo !== undefined) return pseudo;
    const template = this.template(stackName);
    const param = template.Parameters?.[name];
    if (param) return param.Default;
    if (template.Resources[name]) return this.physicalId(stackName, name);
    throw new TemplateResolveError(`Ref to ${name}: no such parameter or resource in ${stackName}`);
  }

  private sub(stackName: string, text: string, vars: Readonly<Record<string, unknown>>): string {
    return text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      if (inner in vars) return String(this.walk(stackName, vars[inner]));
      const dot = inner.indexOf('.');
      if (dot > 0 && !inner.startsWith('AWS::')) {
        return String(this.attribute(stackName, inner.slice(0, dot), inner.slice(dot + 1)));
      }
      const value = this.ref(stackName, inner);
      if (value === NO_VALUE || value === undefined)
        throw new TemplateResolveError(`Fn::Sub: nothing for ${whole}`);
      return String(value);
    });
  }

  private walk(stackName: string, value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((v) => this.walk(stackName, v)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0];
      const intrinsic = this.intrinsic(stackName, key, arg);
      if (intrinsic.handled) return intrinsic.value;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.walk(stackName, v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private intrinsic(stackName: string, key: string, arg: unknown): { handled: boolean; value?: unknown } {
    const w = (v: unknown) => this.walk(stackName, v);
    const list = (v: unknown, n?: number): unknown[] => {
      if (!Array.isArray(v) || (n !== undefined && v.length !== n))
        throw new TemplateResolveError(`${key} takes a list${n ? ` of ${n}` : ''}: ${JSON.stringify(v)}`);
      return v;
    };
    switch (key) {
      case 'Ref':
        return { handled: true, value: this.ref(stackName, String(arg)) };
      case 'Fn::GetAtt': {
        const [id, ...attr] = typeof arg === 'string' ? arg.split('.') : (list(arg, 2).map(w) as string[]);
        const guard = `${stackName}/${id}.${attr.join('.')}`;
        if (this.resolving.has(guard)) throw new TemplateResolveError(`circular Fn::GetAtt ${guard}`);
        this.resolving.add(guard);
        try {
          return { handled: true, value: this.attribute(stackName, String(id), attr.join('.')) };
        } finally {
          this.resolving.delete(guard);
        }
      }
      case 'Fn::Join': {
        const [sep, parts] = list(arg, 2);
        const items = w(parts);
        if (!Array.isArray(items)) throw new TemplateResolveError(`Fn::Join of ${JSON.stringify(items)}`);
        return { handled: true, value: items.map(String).join(String(sep)) };
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return { handled: true, value: this.sub(stackName, arg, {}) };
        const [text, vars] = list(arg, 2);
        return { handled: true, value: this.sub(stackName, String(text), vars as Record<string, unknown>) };
      }
      case 'Fn::Select': {
        const [index, from] = list(arg, 2);
        const items = w(from);
        const i = Number(w(index));
        if (!Array.isArray(items) || !(i >= 0 && i < items.length))
          throw new TemplateResolveError(`Fn::Select ${i} of ${JSON.stringify(items)}`);
        return { handled: true, value: items[i] };
      }
      case 'Fn::Split': {
        const [sep, text] = list(arg, 2);
        return { handled: true, value: String(w(text)).split(String(sep)) };
      }
      case 'Fn::ImportValue':
        return { handled: true, value: this.importValue(String(w(arg))) };
      case 'Fn::If': {
        const [cond, yes, no] = list(arg, 3);
        return { handled: true, value: w(this.condition(stackName, String(cond)) ? yes : no) };
      }
      case 'Condition':
        // Inside Conditions, `{ Condition: name }` refers to another condition.
        if (typeof arg === 'string' && this.template(stackName).Conditions?.[arg] !== undefined)
          return { handled: true, value: this.condition(stackName, arg) };
        return { handled: false };
      case 'Fn::Equals': {
        const [a, b] = list(arg, 2).map(w);
        return { handled: true, value: JSON.stringify(a) === JSON.stringify(b) };
      }
      case 'Fn::Not':
        return { handled: true, value: !w(list(arg, 1)[0]) };
      case 'Fn::And':
        return { handled: true, value: list(arg).every((c) => Boolean(w(c))) };
      case 'Fn::Or':
        return { handled: true, value: list(arg).some((c) => Boolean(w(c))) };
      case 'Fn::FindInMap': {
        const [map, top, second] = list(arg, 3).map(w) as string[];
        const found = this.template(stackName).Mappings?.[map]?.[top]?.[second];
        if (found === undefined) throw new TemplateResolveError(`Fn::FindInMap ${map}.${top}.${second}`);
        return { handled: true, value: w(found) };
      }
      case 'Fn::GetAZs':
        return { handled: true, value: ['a', 'b', 'c'].map((z) => `${this.region}${z}`) };
      case 'Fn::Base64':
        return { handled: true, value: Buffer.from(String(w(arg))).toString('base64') };
      default:
        if (key.startsWith('Fn::')) throw new TemplateResolveError(`unsupported intrinsic ${key}`);
        return { handled: false };
    }
  }
}
