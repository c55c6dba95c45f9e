import { authorize } from './evaluate';
import { ConditionContext, Decision, PolicyStatement, RolePolicies } from './policy';
import { ServiceCall } from './requests';
import { CallerIdentity } from './resource-policy';

/** The account every local ARN is in (the template's `AWS::AccountId`, resolved locally). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The local principals: each runs as its own IAM role of the template. */
export type LocalPrincipalName = 'api' | 'worker' | 'abandoned' | 'bff';

export const LOCAL_PRINCIPAL_NAMES: readonly LocalPrincipalName[] = ['api', 'worker', 'abandoned', 'bff'];

export interface AccessKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const keys = (id: string, name: string): AccessKeys => ({
  accessKeyId: id,
  secretAccessKey: `localsecret/${name}-role/`.padEnd(40, '0'),
});

/**
 * Fixed local access keys, one pair per principal (20-character ids as AWS's, never valid in AWS):
 * the API function's role, the worker's, the abandoned-job function's (the worker's on-failure
 * destination) and the BFF task role.
 */
export const LOCAL_PRINCIPAL_KEYS: Readonly<Record<LocalPrincipalName, AccessKeys>> = {
  api: keys('LOCALAPIROLE00000000', 'api'),
  worker: keys('LOCALWORKERROLE00000', 'worker'),
  abandoned: keys('LOCALABANDONEDROLE00', 'abandoned'),
  bff: keys('LOCALBFFTASKROLE0000', 'bff'),
};

/** A principal the authorizer knows: its keys, its role and the role's statements. */
export interface LocalPrincipal {
  readonly name: string;
  readonly keys: AccessKeys;
  readonly role: RolePolicies;
  /** The role session name in its assumed-role ARN (the function or task name). */
  readonly sessionName?: string;
}

/** The principal's identity as AWS names it in a refusal: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
export function assumedRoleArn(account: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;
}

export interface AccessAllowed {
  readonly allowed: true;
  /** Undefined for a trusted key (the local cloud's own, not a role of the template). */
  readonly principal?: string;
}

export interface AccessRefused {
  readonly allowed: false;
  readonly principal: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  readonly principalArn: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Exclude<Decision, 'allow'>;
  readonly matched?: PolicyStatement;
}

export type AccessCheck = AccessAllowed | AccessRefused;

/** What each stand-in is given to authorize the calls that reach it (see docs/adr/0008-local-iam-enforcement.md). */
export interface Authorizer {
  /** The account of every ARN. */
  readonly account: string;
  /** The secret of a known key (a principal's or a trusted one), for SigV4 verification. */
  secretFor(accessKeyId: string): string | undefined;
  /**
   * Every authorization a request needs, as the principal of `accessKeyId`; the first refused one, or
   * allowed. Adds the principal's global condition keys (aws:PrincipalArn, aws:PrincipalAccount,
   * aws:userid, aws:SecureTransport, aws:CurrentTime, aws:EpochTime) to each call's context.
   */
  check(accessKeyId: string, calls: readonly ServiceCall[]): AccessCheck;
  /**
   * Who a principal's key calls as, for a resource-based policy: its role and session ARNs and the global
   * condition keys `check` adds. Undefined for a trusted key (not a role of the template).
   */
  identityOf(
    accessKeyId: string,
  ): { readonly caller: CallerIdentity; readonly context: ConditionContext } | undefined;
}

export interface AuthorizerOptions {
  readonly principals: readonly LocalPrincipal[];
  /**
   * Keys that are not roles of the template and are allowed everything: the local cloud's own (its
   * table creation, the retention sweeper standing in for TTL and the S3 lifecycle, test set-up).
   */
  readonly trusted?: readonly AccessKeys[];
  readonly account?: string;
  readonly now?: () => Date;
}

export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const account = options.account ?? LOCAL_ACCOUNT_ID;
  const now = options.now ?? (() => new Date());
  const byKey = new Map(options.principals.map((p) => [p.keys.accessKeyId, p]));
  const trusted = new Map((options.trusted ?? []).map((k) => [k.accessKeyId, k.secretAccessKey]));
  for (const id of trusted.keys())
    if (byKey.has(id)) throw new Error(`access key ${id} is both trusted and a principal's`);
  const identityOf: Authorizer['identityOf'] = (accessKeyId) => {
    const principal = byKey.get(accessKeyId);
    if (!principal) return undefined;
    const { role } = principal;
    const at = now();
    const roleArn = `arn:aws:iam::${account}:role/${role.roleName}`;
    const context = {
      'aws:PrincipalArn': roleArn,
      'aws:PrincipalAccount': account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:userid': `AROALOCAL${role.roleLogicalId.toUpperCase().replace(/[^A-Z0-9]/g, '')}:${principal.sessionName ?? principal.name}`,
      'aws:SecureTransport': 'true',
      'aws:CurrentTime': at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(at.getTime() / 1000)),
    };
    const sessionArn = assumedRoleArn(account, role.roleName, principal.sessionName ?? principal.name);
    return { caller: { roleArn, account, sessionArn }, context };
  };
  return {
    account,
    secretFor: (id) => byKey.get(id)?.keys.secretAccessKey ?? trusted.get(id),
    identityOf,
    check(accessKeyId, calls) {
      const principal = byKey.get(accessKeyId);
      if (!principal) {
        if (trusted.has(accessKeyId)) return { allowed: true };
        throw new Error(`unknown access key ${accessKeyId}: verify the signature first`);
      }
      const { role } = principal;
      const identity = identityOf(accessKeyId);
      if (!identity) throw new Error(`no identity for ${accessKeyId}`);
      const principalArn = identity.caller.sessionArn;
      const globals = identity.context;
      for (const c of calls) {
        const result = authorize({
          statements: role.statements,
          action: c.action,
          resource: c.resource,
          context: { ...globals, ...c.context },
        });
        if (result.decision !== 'allow') {
          return {
            allowed: false,
            principal: principal.name,
            principalArn,
            action: c.action,
            resource: c.resource,
            decision: result.decision,
            ...(result.matched ? { matched: result.matched } : {}),
          };
        }
      }
      return { allowed: true, principal: principal.name };
    },
  };
}

/**
 * AWS's words for a refusal: `User: ARN is not authorized to perform: ACTION on resource: ARN` and why
 * (`because no identity-based policy allows the ACTION action` / `with an explicit deny in an
 * identity-based policy`).
 */
export function accessDeniedMessage(refusal: AccessRefused, resource = refusal.resource): string {
  const why =
    refusal.decision === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${refusal.action} action`;
  return `User: ${refusal.principalArn} is not authorized to perform: ${refusal.action} on resource: ${resource} ${why}`;
}

/**
 * The principals of the local cloud: each name's fixed keys and the role policies given for it.
 * A name without role policies gets no principal (its key is unknown to the stand-ins).
 */
export function localPrincipals(
  rolePolicies: Readonly<Partial<Record<LocalPrincipalName, RolePolicies>>>,
  sessionNames: Readonly<Partial<Record<LocalPrincipalName, string>>> = {},
): LocalPrincipal[] {
  return LOCAL_PRINCIPAL_NAMES.flatMap((name) => {
    const role = rolePolicies[name];
    if (!role) return [];
    const sessionName = sessionNames[name];
    return [{ name, keys: LOCAL_PRINCIPAL_KEYS[name], role, ...(sessionName ? { sessionName } : {}) }];
  });
}
