import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import {
  BodyTooLargeError,
  listen,
  readBody,
  refuseWhileStopping,
  RunningServer,
  sendJson,
} from '@imagegen/local-cloud/util-http';
import {
  accessDeniedMessage,
  Authorizer,
  combineSameAccount,
  evaluateResourcePolicy,
  executeApiCalls,
  PolicyStatement,
} from '@imagegen/local-cloud/util-iam';
import { ApiMethodModel, matchApiMethod } from '@imagegen/local-cloud/util-template';
import { VerifyFailure, verifySigV4 } from '@imagegen/shared/util-sigv4';

import { Throttle, TokenBucket } from './token-bucket';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface ApiGatewayStandInOptions {
  readonly port: number;
  readonly host?: string;
  /** The Lambda proxy integration, called in-process (the same handler the Lambda bundle exports). */
  readonly handler: ProxyHandler;
  readonly region: string;
  /** IAM auth: requests must be SigV4-signed (service `execute-api`) with these credentials. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly stage?: string;
  /**
   * The API's methods as the template defines them (path, method, auth type, integration timeout).
   * A request no method matches is answered 403 "Missing Authentication Token", as API Gateway does.
   * Absent: one `ANY /{proxy+}` method with IAM auth and `timeoutMs`.
   */
  readonly methods?: readonly ApiMethodModel[];
  /** The API id and account in the events' requestContext. */
  readonly apiId?: string;
  readonly accountId?: string;
  /**
   * IAM enforcement: each request is authorized (execute-api:Invoke on
   * `arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH`) as the principal of its access key;
   * a refusal is API Gateway's 403 `{"Message":"User: … is not authorized to perform: execute-api:Invoke
   * on resource: …"}`. Without it, any request signed with `credentials` is allowed.
   */
  readonly authorizer?: Authorizer;
  /** Integration timeout of methods that name none (API Gateway REST: 29 s). */
  readonly timeoutMs?: number;
  /** The integration function's own timeout (its Lambda Timeout): a run past it is a 502, as in AWS. */
  readonly functionTimeoutMs?: number;
  /** Payload limit (API Gateway: 10 MB). */
  readonly maxBodyBytes?: number;
  /**
   * The RestApi's resource policy (its template `Policy`), evaluated with the caller's identity policies
   * as API Gateway does for IAM auth in one account (an explicit deny in either wins, else an allow in
   * either allows; apigateway-authorization-flow.html, table A). Needs `authorizer`. `execute-api:/…`
   * resources stand for the API's own ARN.
   */
  readonly resourcePolicy?: { readonly Statement: readonly PolicyStatement[] };
  /** The stage's throttle (its MethodSettings for every method): past it, 429 `{"message":"Too Many Requests"}`. */
  readonly throttle?: Throttle;
  /** The throttle's clock, in ms (tests). */
  readonly now?: () => number;
}

export interface ApiGatewayStandIn {
  /** The invoke URL, stage included (what the BFF's GENERATOR_API_URL names). */
  readonly url: string;
  readonly port: number;
  /**
   * Graceful shutdown: new requests are answered 503 problem+json (SERVICE_UNAVAILABLE, Retry-After)
   * while the ones in progress finish; resolves when they have, or at `deadline` (epoch ms).
   */
  drain(deadline?: number): Promise<void>;
  close(): Promise<void>;
}

const AUTH_MESSAGES: Readonly<Record<VerifyFailure, string>> = {
  missing: 'Missing Authentication Token',
  malformed: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  'unknown-key': 'The security token included in the request is invalid.',
  expired: 'Signature expired',
  mismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
};

interface Matched {
  readonly resourcePath: string;
  readonly pathParameters: Record<string, string>;
  readonly apiId: string;
  readonly accountId: string;
}

function toEvent(
  req: IncomingMessage,
  path: string,
  rawQuery: string,
  body: Buffer,
  stage: string,
  requestId: string,
  matched: Matched,
): APIGatewayProxyEvent {
  // Null-prototype maps: a client's `__proto__` or `constructor` is a name like any other (a fuzzed
  // `?__proto__=x` once reached Object.prototype and answered 500).
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const params = new URLSearchParams(rawQuery);
  const query: Record<string, string> = Object.create(null);
  const multiQuery: Record<string, string[]> = Object.create(null);
  for (const [k, v] of params) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource: matched.resourcePath,
    path,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(matched.pathParameters).length ? matched.pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: matched.accountId,
      apiId: matched.apiId,
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? 'GET',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${path}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: matched.resourcePath,
    },
  };
}

/**
 * "Length, in characters, of the URL for a regional API: 10240", and "when authorization is enabled on a
 * method, the maximum length of the method's ARN is 1600 bytes … the API client receives a 414 Request
 * URI too long response" (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html and
 * api-gateway-execution-service-limits-table.html). The 414's body is not documented; ours is API
 * Gateway's usual `{"message"}` shape.
 */
const MAX_URL_CHARACTERS = 10_240;
const MAX_METHOD_ARN_BYTES = 1_600;
const uriTooLong = (res: ServerResponse, meta: Record<string, string>) =>
  sendJson(res, 414, { message: 'Request URI too long' }, meta);

/**
 * API Gateway (REST, IAM auth, Lambda proxy integration) on loopback: verifies SigV4, turns the
 * request into a proxy event for the handler, and keeps the 29 s and 10 MB limits.
 */
export async function startApiGatewayStandIn(options: ApiGatewayStandInOptions): Promise<ApiGatewayStandIn> {
  const stage = options.stage ?? 'local';
  const timeoutMs = options.timeoutMs ?? 29_000;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const { accessKeyId, secretAccessKey } = options.credentials;
  const { authorizer } = options;
  const methods: readonly ApiMethodModel[] = options.methods ?? [
    {
      logicalId: 'Proxy',
      path: '/{proxy+}',
      httpMethod: 'ANY',
      authorizationType: 'AWS_IAM',
      integration: { type: 'AWS_PROXY', timeoutMs },
    },
  ];
  const bucket = options.throttle ? new TokenBucket(options.throttle, options.now) : undefined;
  const apiArn = (account: string) =>
    `arn:aws:execute-api:${options.region}:${account}:${options.apiId ?? 'local'}`;
  /** `execute-api:/stage/METHOD/path` is the API's own ARN in a resource policy (apigateway-resource-policies-create-attach.html). */
  const expand = (account: string, r: string | readonly string[] | undefined) =>
    r === undefined
      ? undefined
      : [r]
          .flat()
          .map((x) =>
            x.startsWith('execute-api:/') ? `${apiArn(account)}${x.slice('execute-api:'.length)}` : x,
          );
  const missingToken = (res: ServerResponse, meta: Record<string, string>) =>
    sendJson(
      res,
      403,
      { message: 'Missing Authentication Token' },
      { ...meta, 'x-amzn-errortype': 'MissingAuthenticationTokenException' },
    );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const meta = { 'x-amzn-requestid': requestId };
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { message: 'Request Too Long' }, meta);
      throw err;
    }
    const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?', 2);
    if ((req.url ?? '/').length > MAX_URL_CHARACTERS) return uriTooLong(res, meta);
    const prefix = `/${stage}`;
    if (rawPath !== prefix && !rawPath.startsWith(`${prefix}/`)) return missingToken(res, meta);
    const path = rawPath.slice(prefix.length) || '/';
    // A method or resource the API does not define: API Gateway answers 403 Missing Authentication
    // Token, signed or not (https://repost.aws/knowledge-center/api-gateway-authentication-token-errors).
    const match = matchApiMethod({ methods: [...methods] }, req.method ?? 'GET', path);
    if (!match) return missingToken(res, meta);
    const method = match.method;
    const methodArn = `${apiArn(authorizer?.account ?? options.accountId ?? '000000000000')}/${stage}/${req.method ?? 'GET'}${path}`;
    if (method.authorizationType !== 'NONE' && Buffer.byteLength(methodArn) > MAX_METHOD_ARN_BYTES)
      return uriTooLong(res, meta);
    const verdict =
      method.authorizationType !== 'AWS_IAM'
        ? ({ ok: true } as const)
        : await verifySigV4(
            { method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body },
            {
              service: 'execute-api',
              region: options.region,
              lookupSecret: (id) =>
                authorizer?.secretFor(id) ?? (id === accessKeyId ? secretAccessKey : undefined),
            },
          );
    if (!verdict.ok) {
      const type =
        verdict.reason === 'missing'
          ? 'MissingAuthenticationTokenException'
          : verdict.reason === 'unknown-key'
            ? 'UnrecognizedClientException'
            : 'InvalidSignatureException';
      return sendJson(
        res,
        403,
        { message: AUTH_MESSAGES[verdict.reason] },
        { ...meta, 'x-amzn-errortype': type },
      );
    }

    const apiId = options.apiId ?? 'local';
    if (verdict.ok && 'accessKeyId' in verdict && authorizer?.secretFor(verdict.accessKeyId) !== undefined) {
      const calls = executeApiCalls(
        { method: req.method ?? 'GET', apiId, stage, path },
        { region: options.region, account: authorizer.account },
      );
      const check = authorizer.check(verdict.accessKeyId, calls);
      const identity = authorizer.identityOf(verdict.accessKeyId);
      // The resource policy, for a principal of the template (the local cloud's own trusted keys are not roles).
      const policy =
        options.resourcePolicy && identity && calls[0]
          ? evaluateResourcePolicy({
              statements: options.resourcePolicy.Statement.map((st) => ({
                ...st,
                ...(st.Resource !== undefined ? { Resource: expand(authorizer.account, st.Resource) } : {}),
                ...(st.NotResource !== undefined
                  ? { NotResource: expand(authorizer.account, st.NotResource) }
                  : {}),
              })),
              caller: identity.caller,
              action: calls[0].action,
              resource: calls[0].resource,
              context: { ...identity.context, ...calls[0].context },
            })
          : undefined;
      const decision = policy
        ? combineSameAccount(check.allowed ? 'allow' : check.decision, policy.decision)
        : check.allowed
          ? 'allow'
          : check.decision;
      if (decision !== 'allow' && identity && calls[0]) {
        // API Gateway masks all but the last four digits of the account in the resource it names.
        const mask = (arn: string) =>
          arn.replace(/^(arn:aws:execute-api:[^:]*:)(\d{8})(\d{4}):/, '$1********$3:');
        const message =
          !check.allowed && (check.decision === 'explicit-deny' || policy?.decision !== 'explicit-deny')
            ? accessDeniedMessage(check, mask(check.resource))
            : // Denied by the resource policy: "User: … is not authorized to perform: execute-api:Invoke on
              // resource: … with an explicit deny" (https://repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer).
              `User: ${identity.caller.sessionArn} is not authorized to perform: ${calls[0].action} on resource: ${mask(calls[0].resource)} with an explicit deny`;
        return sendJson(
          res,
          403,
          { Message: message },
          { ...meta, 'x-amzn-errortype': 'AccessDeniedException' },
        );
      }
    }
    // The stage throttle: API Gateway's THROTTLED gateway response (supported-gateway-response-types.html).
    if (bucket && !bucket.take()) {
      return sendJson(
        res,
        429,
        { message: 'Too Many Requests' },
        { ...meta, 'x-amzn-errortype': 'TooManyRequestsException' },
      );
    }
    const event = toEvent(req, path, rawQuery, body, stage, requestId, {
      resourcePath: method.path,
      pathParameters: match.pathParameters,
      apiId,
      accountId: options.accountId ?? authorizer?.account ?? '000000000000',
    });
    let timer: NodeJS.Timeout | undefined;
    let fnTimer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), method.integration?.timeoutMs ?? timeoutMs)),
    );
    // The function's own timeout: Lambda ends the run with an error, which a proxy integration answers 502.
    const fnTimeout = new Promise<never>((_ok, fail) => {
      if (options.functionTimeoutMs !== undefined)
        fnTimer = setTimeout(() => fail(new Error('Task timed out')), options.functionTimeoutMs);
    });
    let result: APIGatewayProxyResult | 'timeout';
    try {
      result = await Promise.race([options.handler(event), timeout, fnTimeout]);
    } catch {
      return sendJson(
        res,
        502,
        { message: 'Internal server error' },
        { ...meta, 'x-amzn-errortype': 'InternalServerErrorException' },
      );
    } finally {
      clearTimeout(timer);
      clearTimeout(fnTimer);
    }
    if (result === 'timeout') return sendJson(res, 504, { message: 'Endpoint request timed out' }, meta);
    if (!result || typeof result.statusCode !== 'number') {
      return sendJson(res, 502, { message: 'Internal server error' }, meta);
    }
    const out = result.isBase64Encoded
      ? Buffer.from(result.body ?? '', 'base64')
      : Buffer.from(result.body ?? '', 'utf8');
    const headers: Record<string, string | string[]> = { ...meta };
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {}))
      headers[k.toLowerCase()] = v.map(String);
    headers['content-length'] = String(out.length);
    res.writeHead(result.statusCode, headers);
    res.end(out);
  }

  const server: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
      });
    },
    options.port,
    'API Gateway stand-in',
    options.host,
    // Room above API Gateway's own URL limit, so the stand-in answers it (414) rather than Node's parser (a bare 431).
    { maxHeaderSize: 64 * 1024 },
  );
  return {
    url: `${server.url}/${stage}`,
    port: server.port,
    drain: (deadline) =>
      server.drain(refuseWhileStopping('the generator API is stopping: try again in a moment'), deadline),
    close: () => server.close(),
  };
}
