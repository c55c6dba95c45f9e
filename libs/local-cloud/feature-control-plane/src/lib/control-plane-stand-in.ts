import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';

import {
  listen,
  objectPatchProblems,
  parseJson,
  readBody,
  refuseBrowserAdmin,
  RunningServer,
  sendJson,
} from '@imagegen/local-cloud/util-http';
import { verifySigV4 } from '@imagegen/shared/util-sigv4';

/**
 * The "account" the control-plane stand-in answers for. Every field can be changed per test
 * (`setState`), so one server plays a ready account and each way an account is not ready.
 */
export interface ControlPlaneState {
  /** 12-digit account id (STS GetCallerIdentity `Account`). */
  readonly account: string;
  /**
   * The caller as STS names it: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (a role session,
   * the usual case with SSO or a profile's role) or `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
   */
  readonly callerArn: string;
  /** The IAM path of the caller's role (`/` or e.g. `/aws-reserved/sso.amazonaws.com/`): the STS ARN never shows it. */
  readonly rolePath: string;
  /** The value of `/cdk-bootstrap/hnb659fds/version`; null: the region is not bootstrapped (ParameterNotFound). */
  readonly bootstrapVersion: number | null;
  /** Lambda `AccountLimit.ConcurrentExecutions`: 1000 by default, 10 on a new account. */
  readonly concurrencyLimit: number;
  /** Concurrency other functions of the account have reserved already (unreserved = limit − this). */
  readonly reservedConcurrency: number;
  /** What IAM's policy simulator decides for aws-marketplace:Subscribe, Unsubscribe and ViewSubscriptions. */
  readonly marketplace: 'allowed' | 'denied';
  /** Whether the caller may call iam:SimulatePrincipalPolicy and iam:GetRole (false: AccessDenied). */
  readonly mayReadIam: boolean;
}

export const READY_ACCOUNT: ControlPlaneState = {
  account: '123456789012',
  callerArn: 'arn:aws:sts::123456789012:assumed-role/ImagegenDeployer/operator',
  rolePath: '/',
  bootstrapVersion: 29,
  concurrencyLimit: 1000,
  reservedConcurrency: 0,
  marketplace: 'allowed',
  mayReadIam: true,
};

export interface ControlPlaneStandInOptions {
  readonly port: number;
  readonly host?: string;
  /** Requests must be SigV4-signed with these credentials, in `region` (IAM, a global service, also in us-east-1). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly region: string;
  readonly state?: Partial<ControlPlaneState>;
}

export interface ControlPlaneStandIn {
  /** One URL for AWS_ENDPOINT_URL_STS, _SSM, _LAMBDA and _IAM. */
  readonly url: string;
  readonly port: number;
  setState(patch: Partial<ControlPlaneState>): void;
  state(): ControlPlaneState;
  /** The operations answered so far, e.g. `sts:GetCallerIdentity` (signature checks passed or not). */
  calls(): readonly string[];
  close(): Promise<void>;
}

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const BOOTSTRAP_PARAMETER = /^\/cdk-bootstrap\/([a-z0-9_-]+)\/version$/;

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

/** An AWS Query (STS, IAM) error: `<ErrorResponse><Error><Type/><Code/><Message/></Error>…`. */
function queryError(res: ServerResponse, ns: string, status: number, code: string, message: string): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  sendXml(
    res,
    status,
    `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** An AWS JSON 1.1 (SSM) error: `{"__type": CODE, "message": …}`. */
function jsonError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { __type: code, message }, { 'x-amzn-requestid': randomUUID() });
}

/** A REST-JSON (Lambda) error: the code in `x-amzn-ErrorType`, `{"message": …}`. */
function restJsonError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(
    res,
    status,
    { Type: 'User', message },
    { 'x-amzn-errortype': code, 'x-amzn-requestid': randomUUID() },
  );
}

type Service = 'sts' | 'iam' | 'ssm' | 'lambda';
interface Operation {
  readonly service: Service;
  readonly name: string;
  readonly params: URLSearchParams | Record<string, unknown>;
}

/** Which service and operation a request is, from its wire shape (the SDK's protocol for each). */
function operationOf(req: IncomingMessage, path: string, body: Buffer): Operation | undefined {
  const target = req.headers['x-amz-target'];
  if (req.method === 'POST' && typeof target === 'string' && target.startsWith('AmazonSSM.')) {
    let params: Record<string, unknown> = {};
    try {
      params = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      /* an unparseable body is a SerializationException below */
      params = { __unparseable: true };
    }
    return { service: 'ssm', name: target.slice('AmazonSSM.'.length), params };
  }
  if (req.method === 'GET' && /^\/2016-08-19\/account-settings\/?$/.test(path)) {
    return { service: 'lambda', name: 'GetAccountSettings', params: {} };
  }
  const type = String(req.headers['content-type'] ?? '');
  if (req.method === 'POST' && type.startsWith('application/x-www-form-urlencoded')) {
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? '';
    const version = params.get('Version');
    if (version === '2011-06-15') return { service: 'sts', name: action, params };
    if (version === '2010-05-08') return { service: 'iam', name: action, params };
  }
  return undefined;
}

/** The role name in an assumed-role ARN (`arn:aws:sts::A:assumed-role/ROLE/SESSION`), else undefined. */
function assumedRoleName(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/([^/]+)\/[^/]+$/.exec(arn)?.[1];
}

/** The IAM ARN of the caller's principal as IAM knows it (its role's ARN with the path). */
function principalArn(state: ControlPlaneState): string {
  const role = assumedRoleName(state.callerArn);
  return role ? `arn:aws:iam::${state.account}:role${state.rolePath}${role}` : state.callerArn;
}

const MARKETPLACE_ACTIONS = [
  'aws-marketplace:subscribe',
  'aws-marketplace:unsubscribe',
  'aws-marketplace:viewsubscriptions',
];

/**
 * A local stand-in for the AWS control-plane calls the deploy preflight (`npm run doctor`) makes,
 * each in its service's wire protocol as the AWS SDK sends it, SigV4-verified:
 * - STS GetCallerIdentity (AWS Query: form POST, XML answer);
 * - SSM GetParameter for the CDK bootstrap version (AWS JSON 1.1, `X-Amz-Target: AmazonSSM.GetParameter`);
 * - Lambda GetAccountSettings (REST-JSON, `GET /2016-08-19/account-settings/`);
 * - IAM GetRole and SimulatePrincipalPolicy (AWS Query).
 * Admin: `GET|POST /__state`, `GET /__health`.
 */
export async function startControlPlaneStandIn(
  options: ControlPlaneStandInOptions,
): Promise<ControlPlaneStandIn> {
  let state: ControlPlaneState = { ...READY_ACCOUNT, ...options.state };
  const calls: string[] = [];

  function refuse(res: ServerResponse, op: Operation, status: number, code: string, message: string): void {
    if (op.service === 'sts') return queryError(res, STS_NS, status, code, message);
    if (op.service === 'iam') return queryError(res, IAM_NS, status, code, message);
    if (op.service === 'ssm') return jsonError(res, status === 403 ? 400 : status, code, message);
    return restJsonError(res, status, code, message);
  }

  function notAuthorized(res: ServerResponse, op: Operation, action: string, resource: string): void {
    const code = op.service === 'iam' || op.service === 'sts' ? 'AccessDenied' : 'AccessDeniedException';
    refuse(
      res,
      op,
      403,
      code,
      `User: ${state.callerArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    );
  }

  function sts(res: ServerResponse, op: Operation): void {
    if (op.name !== 'GetCallerIdentity')
      return refuse(
        res,
        op,
        400,
        'InvalidAction',
        `Could not find operation ${op.name} for version 2011-06-15`,
      );
    const role = assumedRoleName(state.callerArn);
    const userId = role
      ? `AROAEXAMPLEROLEID0000:${state.callerArn.split('/').pop()}`
      : 'AIDAEXAMPLEUSERID0000';
    sendXml(
      res,
      200,
      `<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult><Arn>${xmlEscape(state.callerArn)}</Arn><UserId>${userId}</UserId><Account>${state.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  }

  function iam(res: ServerResponse, op: Operation): void {
    const params = op.params as URLSearchParams;
    if (op.name === 'GetRole') {
      const name = params.get('RoleName') ?? '';
      const roleArn = `arn:aws:iam::${state.account}:role/${name}`;
      if (!state.mayReadIam) return notAuthorized(res, op, 'iam:GetRole', roleArn);
      if (name !== assumedRoleName(state.callerArn))
        return refuse(res, op, 404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
      const arn = principalArn(state);
      const trust = encodeURIComponent('{"Version":"2012-10-17","Statement":[]}');
      return sendXml(
        res,
        200,
        `<GetRoleResponse xmlns="${IAM_NS}"><GetRoleResult><Role><Path>${xmlEscape(state.rolePath)}</Path><RoleName>${xmlEscape(name)}</RoleName><RoleId>AROAEXAMPLEROLEID0000</RoleId><Arn>${xmlEscape(arn)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>${trust}</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration></Role></GetRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetRoleResponse>`,
      );
    }
    if (op.name === 'SimulatePrincipalPolicy') {
      const source = params.get('PolicySourceArn') ?? '';
      if (!state.mayReadIam) return notAuthorized(res, op, 'iam:SimulatePrincipalPolicy', source);
      if (source !== principalArn(state))
        return refuse(res, op, 404, 'NoSuchEntity', `The entity ${source} cannot be found.`);
      const actions = [...params.entries()]
        .filter(([k]) => /^ActionNames\.member\.\d+$/.test(k))
        .map(([, v]) => v);
      if (actions.length === 0)
        return refuse(res, op, 400, 'ValidationError', 'ActionNames must not be empty.');
      const members = actions
        .map((action) => {
          const allowed =
            state.marketplace === 'allowed' || !MARKETPLACE_ACTIONS.includes(action.toLowerCase());
          return `<member><EvalActionName>${xmlEscape(action)}</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>${allowed ? 'allowed' : 'implicitDeny'}</EvalDecision><MatchedStatements/><MissingContextValues/></member>`;
        })
        .join('');
      return sendXml(
        res,
        200,
        `<SimulatePrincipalPolicyResponse xmlns="${IAM_NS}"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>${members}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`,
      );
    }
    refuse(res, op, 400, 'InvalidAction', `Could not find operation ${op.name} for version 2010-05-08`);
  }

  function ssm(res: ServerResponse, op: Operation): void {
    const params = op.params as Record<string, unknown>;
    if (params['__unparseable'])
      return jsonError(
        res,
        400,
        'SerializationException',
        'Start of structure or map found where not expected.',
      );
    if (op.name !== 'GetParameter')
      return jsonError(
        res,
        400,
        'UnknownOperationException',
        `The stand-in does not serve AmazonSSM.${op.name}.`,
      );
    const name = typeof params['Name'] === 'string' ? params['Name'] : '';
    const match = BOOTSTRAP_PARAMETER.exec(name);
    if (!match || state.bootstrapVersion === null) return jsonError(res, 400, 'ParameterNotFound', '');
    sendJson(
      res,
      200,
      {
        Parameter: {
          ARN: `arn:aws:ssm:${options.region}:${state.account}:parameter${name}`,
          DataType: 'text',
          LastModifiedDate: 1_767_225_600,
          Name: name,
          Type: 'String',
          Value: String(state.bootstrapVersion),
          Version: 1,
        },
      },
      { 'x-amzn-requestid': randomUUID() },
    );
  }

  function lambda(res: ServerResponse): void {
    sendJson(
      res,
      200,
      {
        AccountLimit: {
          CodeSizeUnzipped: 262_144_000,
          CodeSizeZipped: 52_428_800,
          ConcurrentExecutions: state.concurrencyLimit,
          TotalCodeSize: 80_530_636_800,
          UnreservedConcurrentExecutions: Math.max(0, state.concurrencyLimit - state.reservedConcurrency),
        },
        AccountUsage: { FunctionCount: 0, TotalCodeSize: 0 },
      },
      { 'x-amzn-requestid': randomUUID() },
    );
  }

  function admin(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): void {
    if (refuseBrowserAdmin(req, res)) return;
    if (path === '/__health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/__state') {
      if (req.method === 'GET') return sendJson(res, 200, state);
      const patch = parseJson(body);
      if (!patch.ok) return sendJson(res, 400, { message: 'the state must be JSON' });
      const problems = objectPatchProblems(patch.value, Object.keys(READY_ACCOUNT));
      if (problems.length) return sendJson(res, 400, { message: problems.join('; ') });
      state = { ...state, ...(patch.value as Partial<ControlPlaneState>) };
      return sendJson(res, 200, state);
    }
    sendJson(res, 404, { message: `no admin endpoint ${req.method} ${path.slice(0, 100)}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = await readBody(req, 1024 * 1024);
    if (path.startsWith('/__')) return admin(req, res, path, body);
    const op = operationOf(req, path, body);
    if (!op)
      return restJsonError(
        res,
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${path.slice(0, 100)}`,
      );
    calls.push(`${op.service}:${op.name}`);

    // IAM is global: the SDK signs it in us-east-1 at its own endpoint, in the client's region at an override.
    const regions = op.service === 'iam' ? [options.region, 'us-east-1'] : [options.region];
    const scopeRegion = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(
      String(req.headers.authorization ?? ''),
    )?.[1];
    const verdict = await verifySigV4(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body },
      {
        service: op.service,
        region: scopeRegion && regions.includes(scopeRegion) ? scopeRegion : options.region,
        lookupSecret: (id) =>
          id === options.credentials.accessKeyId ? options.credentials.secretAccessKey : undefined,
      },
    );
    if (!verdict.ok) {
      if (verdict.reason === 'unknown-key') {
        const code =
          op.service === 'sts' || op.service === 'iam'
            ? 'InvalidClientTokenId'
            : 'UnrecognizedClientException';
        return refuse(res, op, 403, code, 'The security token included in the request is invalid.');
      }
      if (verdict.reason === 'missing')
        return refuse(res, op, 403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
      const code =
        op.service === 'sts' || op.service === 'iam' ? 'SignatureDoesNotMatch' : 'InvalidSignatureException';
      return refuse(
        res,
        op,
        403,
        code,
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      );
    }
    if (op.service === 'sts') return sts(res, op);
    if (op.service === 'iam') return iam(res, op);
    if (op.service === 'ssm') return ssm(res, op);
    return lambda(res);
  }

  const running: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { message: 'The server encountered an internal error.' });
      });
    },
    options.port,
    'AWS control-plane stand-in',
    options.host,
  );

  return {
    url: running.url,
    port: running.port,
    setState: (patch) => {
      state = { ...state, ...patch };
    },
    state: () => state,
    calls: () => [...calls],
    close: () => running.close(),
  };
}
