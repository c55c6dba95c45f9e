/** A CloudFormation template as `cdk synth` writes it (only the parts read here are typed). */
export interface CfnTemplate {
  readonly Parameters?: Readonly<Record<string, { readonly Type?: string; readonly Default?: unknown }>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Outputs?: Readonly<
    Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>
  >;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Condition?: string;
  readonly DependsOn?: string | readonly string[];
}

/** One stack of a cloud assembly: its CloudFormation name and its template. */
export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** The fixed identity of the local cloud: the account and region every ARN is resolved for. */
export interface LocalEnvironment {
  readonly account: string;
  readonly region: string;
  /** Default `aws`. */
  readonly partition?: string;
  /** Default `amazonaws.com`. */
  readonly urlSuffix?: string;
}

/** An IAM policy statement as in IAM JSON (after the template's intrinsics are resolved). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  /** Operator → condition key → value(s), e.g. `{ StringLike: { 's3:prefix': ['owners/*'] } }`. */
  readonly Condition?: Record<string, Record<string, string | string[]>>;
  /** Resource-based policies only (e.g. a RestApi's `Policy`): `"*"` or `{ "AWS": ARN | ARN[] }`. */
  readonly Principal?: '*' | Record<string, string | string[]>;
  readonly NotPrincipal?: '*' | Record<string, string | string[]>;
}

/** The identity policies of one IAM role: what the IAM engine evaluates every call of that role against. */
export interface RolePolicies {
  readonly roleLogicalId: string;
  /** The role's name (its RoleName, else the local physical name). */
  readonly roleName: string;
  /** `arn:aws:iam::ACCOUNT:role/NAME` */
  readonly roleArn: string;
  /** The stack the role is in. */
  readonly stackName: string;
  /** Statements of its inline policies and of the AWS::IAM::Policy resources attached to it, resolved. */
  readonly statements: PolicyStatement[];
  /** AWS managed (or customer managed) policy ARNs attached to it: their statements are not in the template. */
  readonly managedPolicyArns: string[];
}
