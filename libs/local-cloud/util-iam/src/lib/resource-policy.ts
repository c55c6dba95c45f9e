import { conditionsHold, statementMatches } from './evaluate';
import { ConditionContext, Decision, PolicyPrincipal, PolicyStatement } from './policy';

/**
 * Resource-based policies (an API Gateway RestApi's `Policy`), evaluated as AWS documents them for a
 * caller in the API's own account: "IAM JSON policy elements: Principal"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html) and
 * "How API Gateway resource policies affect authorization workflow", table A
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html).
 */

/** Who is calling: the role session's role ARN (`arn:aws:iam::ACCOUNT:role/NAME`) and account. */
export interface CallerIdentity {
  readonly roleArn: string;
  readonly account: string;
  /** The session's own ARN (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`). */
  readonly sessionArn: string;
}

const list = (v: string | readonly string[]): readonly string[] => (typeof v === 'string' ? [v] : v);

/**
 * Whether a Principal element names the caller: `*` or `{"AWS":"*"}` names everyone; a role ARN names
 * its sessions; the session ARN names itself. An account (`ACCOUNT` or `arn:aws:iam::ACCOUNT:root`)
 * in an Allow only delegates to the account's IAM policies (it grants nothing by itself in the same
 * account), so it names the caller for a Deny only.
 */
export function principalNames(
  principal: PolicyPrincipal,
  caller: CallerIdentity,
  effect: 'Allow' | 'Deny',
): boolean {
  if (principal === '*') return true;
  const aws = principal['AWS'];
  if (aws === undefined) return false; // a service or federated principal: not a role session
  return list(aws).some((p) => {
    if (p === '*' || p === caller.roleArn || p === caller.sessionArn) return true;
    const account = p === caller.account || p === `arn:aws:iam::${caller.account}:root`;
    return account && effect === 'Deny';
  });
}

export interface ResourcePolicyResult {
  readonly decision: Decision;
  readonly matched?: PolicyStatement;
}

/** The resource policy's own verdict: an explicit Deny that names the caller wins, else an Allow, else neither. */
export function evaluateResourcePolicy(request: {
  readonly statements: readonly PolicyStatement[];
  readonly caller: CallerIdentity;
  readonly action: string;
  readonly resource: string;
  readonly context?: ConditionContext;
}): ResourcePolicyResult {
  const { statements, caller, action, resource, context = {} } = request;
  let allowedBy: PolicyStatement | undefined;
  for (const s of statements) {
    const named =
      s.Principal !== undefined
        ? principalNames(s.Principal, caller, s.Effect)
        : s.NotPrincipal !== undefined
          ? !principalNames(s.NotPrincipal, caller, 'Allow')
          : false;
    if (!named || !statementMatches(s, action, resource, context) || !conditionsHold(s.Condition, context))
      continue;
    if (s.Effect === 'Deny') return { decision: 'explicit-deny', matched: s };
    allowedBy ??= s;
  }
  return allowedBy ? { decision: 'allow', matched: allowedBy } : { decision: 'implicit-deny' };
}

/**
 * The caller's identity policies and the API's resource policy together, in one account (table A):
 * an explicit deny in either wins; otherwise an allow in either allows; otherwise implicitly denied.
 */
export function combineSameAccount(identity: Decision, resourcePolicy: Decision): Decision {
  if (identity === 'explicit-deny' || resourcePolicy === 'explicit-deny') return 'explicit-deny';
  if (identity === 'allow' || resourcePolicy === 'allow') return 'allow';
  return 'implicit-deny';
}
