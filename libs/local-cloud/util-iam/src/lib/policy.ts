/**
 * An identity-policy statement with every intrinsic already resolved (plain strings): the shape
 * `@imagegen/local-cloud/util-template` hands over. Kept structurally identical to that library's.
 */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<
    Record<string, Readonly<Record<string, string | readonly string[] | boolean | number>>>
  >;
  /** Resource-based policies only: who the statement is about (`"*"` or `{ "AWS": ARN | ARN[] }`). */
  readonly Principal?: PolicyPrincipal;
  readonly NotPrincipal?: PolicyPrincipal;
}

/** A resource-based policy's Principal element. */
export type PolicyPrincipal = '*' | Readonly<Record<string, string | readonly string[]>>;

/** One IAM role of the template and its statements (every policy attached to it, merged). */
export interface RolePolicies {
  readonly roleLogicalId: string;
  readonly roleName: string;
  readonly statements: readonly PolicyStatement[];
}

/** The request context: condition key → value (several values for a multivalued key). Key names are case-insensitive. */
export type ConditionContext = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface AuthorizationRequest {
  readonly statements: readonly PolicyStatement[];
  /** `service:Action`, e.g. `s3:GetObject`. */
  readonly action: string;
  /** The resource ARN (or `*` for actions without a resource type). */
  readonly resource: string;
  readonly context?: ConditionContext;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface AuthorizationResult {
  readonly decision: Decision;
  /** The statement that decided: the Deny that matched, or (for allow) the first Allow that matched. */
  readonly matched?: PolicyStatement;
}
