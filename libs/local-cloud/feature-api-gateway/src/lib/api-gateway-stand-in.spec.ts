import type { APIGatewayProxyEvent } from 'aws-lambda';

import { signRequest } from '@imagegen/shared/util-sigv4';

import { ApiGatewayStandIn, ProxyHandler, startApiGatewayStandIn } from './api-gateway-stand-in';

const CREDS = { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'localsecretkey/imagegen/0000000000000000' };
const REGION = 'us-west-2';

let seen: APIGatewayProxyEvent[] = [];
let behaviour: ProxyHandler = async (e) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: e.path }) });
let api: ApiGatewayStandIn;

beforeAll(async () => {
  api = await startApiGatewayStandIn({
    port: 0,
    handler: (e) => (seen.push(e), behaviour(e)),
    region: REGION,
    credentials: CREDS,
    timeoutMs: 300,
    maxBodyBytes: 1024,
  });
});
afterAll(() => api.close());
beforeEach(() => (seen = []));

async function call(method: string, path: string, body?: string, credentials = CREDS) {
  const url = `${api.url}${path}`;
  const headers = await signRequest({ method, url, headers: { 'content-type': 'application/json', 'x-imagegen-owner': 'o1' }, ...(body ? { body } : {}) }, { service: 'execute-api', region: REGION, credentials });
  return fetch(url, { method, headers, ...(body ? { body } : {}) });
}

describe(startApiGatewayStandIn.name, () => {
  it('turns a signed request into a REST proxy event without the stage, and answers what the handler answers', async () => {
    const res = await call('POST', '/generations?limit=2&limit=3', '{"a":1}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/generations' });
    const [e] = seen;
    expect(e).toMatchObject({ httpMethod: 'POST', path: '/generations', body: '{"a":1}', queryStringParameters: { limit: '3' }, multiValueQueryStringParameters: { limit: ['2', '3'] } });
    expect(e.headers['x-imagegen-owner']).toBe('o1');
    expect(e.requestContext).toMatchObject({ stage: 'local', path: '/local/generations' });
  });

  it('refuses an unsigned request and one signed with other credentials, without calling the handler', async () => {
    const unsigned = await fetch(`${api.url}/generations`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' });
    const wrong = await call('GET', '/generations', undefined, { ...CREDS, secretAccessKey: 'other' });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).message).toMatch(/signature we calculated does not match/);
    expect(seen).toEqual([]);
  });

  it('answers 413 above the payload limit and 504 when the integration is too slow', async () => {
    expect((await call('POST', '/generations', JSON.stringify({ p: 'x'.repeat(2000) }))).status).toBe(413);
    behaviour = () => new Promise((r) => setTimeout(() => r({ statusCode: 200, body: '' }), 1000));
    const slow = await call('GET', '/generations');
    expect(slow.status).toBe(504);
    expect(await slow.json()).toEqual({ message: 'Endpoint request timed out' });
  });

  it('answers 502 when the handler throws', async () => {
    behaviour = () => Promise.reject(new Error('boom'));
    const res = await call('GET', '/generations');
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain('boom');
  });
});
