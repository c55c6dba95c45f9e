import { createAuthorizer, LOCAL_PRINCIPAL_KEYS, localPrincipals } from '@imagegen/local-cloud/util-iam';
import { signRequest } from '@imagegen/shared/util-sigv4';

import { ApiGatewayStandIn, startApiGatewayStandIn } from './api-gateway-stand-in';

const REGION = 'us-west-2';
const API = 'arn:aws:execute-api:us-west-2:000000000000:abc123';
const authorizer = createAuthorizer({
  principals: localPrincipals(
    {
      bff: {
        roleLogicalId: 'BffTaskRole',
        roleName: 'imagegen-BffTaskRole',
        statements: [
          { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${API}/local/*/*` },
          { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${API}/local/DELETE/*` },
        ],
      },
      worker: { roleLogicalId: 'WorkerRole', roleName: 'imagegen-WorkerRole', statements: [] },
    },
    { bff: 'bff-task' },
  ),
});
let api: ApiGatewayStandIn;
let calls = 0;

beforeAll(async () => {
  api = await startApiGatewayStandIn({
    port: 0,
    handler: async (e) => (
      calls++,
      { statusCode: 200, body: JSON.stringify({ apiId: e.requestContext.apiId }) }
    ),
    region: REGION,
    credentials: {
      accessKeyId: 'LOCALACCESSKEY0000000',
      secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
    },
    apiId: 'abc123',
    authorizer,
  });
});
afterAll(() => api.close());

async function call(method: string, path: string, credentials = LOCAL_PRINCIPAL_KEYS.bff) {
  const url = `${api.url}${path}`;
  const headers = await signRequest({ method, url }, { service: 'execute-api', region: REGION, credentials });
  return fetch(url, { method, headers });
}

describe('the API Gateway stand-in with an authorizer', () => {
  it('lets a principal allowed execute-api:Invoke on the method through, with the API id in the event', async () => {
    const res = await call('GET', '/generations/g1');
    expect([res.status, await res.json()]).toEqual([200, { apiId: 'abc123' }]);
  });

  it('refuses an implicit deny 403 with API Gateway’s {"Message"} and the account masked', async () => {
    const before = calls;
    const res = await call('GET', '/models', LOCAL_PRINCIPAL_KEYS.worker);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(await res.json()).toEqual({
      Message:
        'User: arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole/worker is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:********0000:abc123/local/GET/models because no identity-based policy allows the execute-api:Invoke action',
    });
    expect(calls).toBe(before);
  });

  it('refuses an explicit deny, saying so', async () => {
    const res = await call('DELETE', '/generations/g1');
    expect(res.status).toBe(403);
    expect((await res.json()).Message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/imagegen-BffTaskRole\/bff-task is not authorized to perform: execute-api:Invoke on resource: .*abc123\/local\/DELETE\/generations\/g1 with an explicit deny/,
    );
  });
});

describe('the API Gateway stand-in with the RestApi resource policy', () => {
  const BFF_ROLE = 'arn:aws:iam::000000000000:role/imagegen-BffTaskRole';
  /** As infra's invokerOnlyPolicy synthesizes it, for an `invoker` role. */
  const invokerOnly = (invoker: string) => ({
    Statement: [
      {
        Sid: 'OnlyTheBff',
        Effect: 'Deny' as const,
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': invoker } },
      },
      {
        Sid: 'TheBff',
        Effect: 'Allow' as const,
        Principal: { AWS: invoker },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
      },
    ],
  });
  // Both the BFF and the worker may invoke the API by their own roles' statements.
  const bothMayInvoke = createAuthorizer({
    principals: localPrincipals(
      {
        bff: {
          roleLogicalId: 'BffTaskRole',
          roleName: 'imagegen-BffTaskRole',
          statements: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${API}/*` }],
        },
        worker: {
          roleLogicalId: 'WorkerRole',
          roleName: 'imagegen-WorkerRole',
          statements: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${API}/*` }],
        },
      },
      { bff: 'bff-task' },
    ),
  });
  const withPolicy = (resourcePolicy: ReturnType<typeof invokerOnly>) =>
    startApiGatewayStandIn({
      port: 0,
      handler: async () => ({ statusCode: 200, body: '{}' }),
      region: REGION,
      credentials: { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'x'.repeat(40) },
      apiId: 'abc123',
      authorizer: bothMayInvoke,
      resourcePolicy,
    });
  const callAt = async (
    s: ApiGatewayStandIn,
    credentials: { accessKeyId: string; secretAccessKey: string },
  ) => {
    const url = `${s.url}/generations`;
    const headers = await signRequest(
      { method: 'GET', url },
      { service: 'execute-api', region: REGION, credentials },
    );
    const res = await fetch(url, { headers });
    return { status: res.status, body: await res.json() };
  };

  it('admits the BFF task role only: another principal allowed execute-api:Invoke by its own role gets 403', async () => {
    const s = await withPolicy(invokerOnly(BFF_ROLE));
    try {
      expect((await callAt(s, LOCAL_PRINCIPAL_KEYS.bff)).status).toBe(200);
      const refused = await callAt(s, LOCAL_PRINCIPAL_KEYS.worker);
      expect(refused).toEqual({
        status: 403,
        body: {
          Message:
            'User: arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole/worker is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:********0000:abc123/local/GET/generations with an explicit deny',
        },
      });
    } finally {
      await s.close();
    }
  });

  it('refuses the BFF too when the policy names another role (the derivation can fail)', async () => {
    const s = await withPolicy(invokerOnly('arn:aws:iam::000000000000:role/someone-else'));
    try {
      const refused = await callAt(s, LOCAL_PRINCIPAL_KEYS.bff);
      expect(refused.status).toBe(403);
      expect(refused.body.Message).toMatch(
        /imagegen-BffTaskRole\/bff-task is not authorized .* with an explicit deny$/,
      );
    } finally {
      await s.close();
    }
  });

  it('lets a resource policy allow a caller its own role does not (same account: either one allows)', async () => {
    const s = await startApiGatewayStandIn({
      port: 0,
      handler: async () => ({ statusCode: 200, body: '{}' }),
      region: REGION,
      credentials: { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'x'.repeat(40) },
      apiId: 'abc123',
      authorizer, // the worker's own role allows nothing
      resourcePolicy: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::000000000000:role/imagegen-WorkerRole' },
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
          },
        ],
      },
    });
    try {
      expect((await callAt(s, LOCAL_PRINCIPAL_KEYS.worker)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
