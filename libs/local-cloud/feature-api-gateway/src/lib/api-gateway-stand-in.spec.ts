import type { APIGatewayProxyEvent } from 'aws-lambda';

import { signRequest } from '@imagegen/shared/util-sigv4';

import { ApiGatewayStandIn, ProxyHandler, startApiGatewayStandIn } from './api-gateway-stand-in';

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const REGION = 'us-west-2';

let seen: APIGatewayProxyEvent[] = [];
let behaviour: ProxyHandler = async (e) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ path: e.path }),
});
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
  const headers = await signRequest(
    {
      method,
      url,
      headers: { 'content-type': 'application/json', 'x-imagegen-owner': 'o1' },
      ...(body ? { body } : {}),
    },
    { service: 'execute-api', region: REGION, credentials },
  );
  return fetch(url, { method, headers, ...(body ? { body } : {}) });
}

describe(startApiGatewayStandIn.name, () => {
  it('turns a signed request into a REST proxy event without the stage, and answers what the handler answers', async () => {
    const res = await call('POST', '/generations?limit=2&limit=3', '{"a":1}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/generations' });
    const [e] = seen;
    expect(e).toMatchObject({
      httpMethod: 'POST',
      path: '/generations',
      body: '{"a":1}',
      queryStringParameters: { limit: '3' },
      multiValueQueryStringParameters: { limit: ['2', '3'] },
    });
    expect(e.headers['x-imagegen-owner']).toBe('o1');
    expect(e.requestContext).toMatchObject({ stage: 'local', path: '/local/generations' });
  });

  it('passes query and header names such as __proto__ and constructor on as plain names (never a 500)', async () => {
    const res = await call('GET', '/generations?__proto__=a&__proto__=b&constructor=c&cursor=d');
    expect(res.status).toBe(200);
    const [e] = seen;
    // (JSON.parse makes `__proto__` an own key, as the event's JSON does in AWS)
    expect(JSON.parse(JSON.stringify(e.multiValueQueryStringParameters))).toEqual(
      JSON.parse('{"__proto__":["a","b"],"constructor":["c"],"cursor":["d"]}'),
    );
    expect(e.queryStringParameters?.['cursor']).toBe('d');
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

  it("answers 414 past API Gateway's URL limits (a method ARN over 1600 bytes, a URL over 10240 characters), never Node's bare 431, without calling the handler", async () => {
    const longPath = await call('GET', `/generations/${'a'.repeat(1_600)}`);
    expect(longPath.status).toBe(414);
    expect(await longPath.json()).toEqual({ message: 'Request URI too long' });
    const longQuery = await fetch(`${api.url}/generations?q=${'v'.repeat(20_000)}`);
    expect(longQuery.status).toBe(414);
    expect(seen).toEqual([]);
    // Just under the ARN limit, the request reaches the handler.
    behaviour = async (e) => ({ statusCode: 200, body: JSON.stringify({ path: e.path }) });
    expect((await call('GET', `/generations/${'a'.repeat(1_400)}`)).status).toBe(200);
  });

  it('answers 502 when the handler throws', async () => {
    behaviour = () => Promise.reject(new Error('boom'));
    const res = await call('GET', '/generations');
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain('boom');
  });
});

describe('the API Gateway stand-in stopping', () => {
  it('lets the request in progress finish and answers new ones 503 problem+json, not a reset', async () => {
    // GIVEN a request the handler is still working on
    let release = () => undefined as void;
    let arrived = () => undefined as void;
    const gate = new Promise<void>((r) => (release = r));
    const reached = new Promise<void>((r) => (arrived = r));
    const stopping = await startApiGatewayStandIn({
      port: 0,
      handler: async () => (arrived(), await gate, { statusCode: 200, body: '{"done":true}' }),
      region: REGION,
      credentials: CREDS,
    });
    const url = `${stopping.url}/generations`;
    const signed = async () =>
      fetch(url, {
        headers: await signRequest(
          { method: 'GET', url, headers: { 'x-imagegen-owner': 'o1' } },
          { service: 'execute-api', region: REGION, credentials: CREDS },
        ),
      });
    const inProgress = signed();
    await reached;
    // WHEN it starts draining, and a new request comes
    let drained = false;
    const drain = stopping.drain().then(() => (drained = true));
    const refused = await signed();
    // THEN the new one is refused cleanly, with a stable code and a hint when to come back
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(drained).toBe(false);
    // AND the one in progress finishes with its answer, which ends the drain
    release();
    const finished = await inProgress;
    expect([finished.status, await finished.json()]).toEqual([200, { done: true }]);
    await drain;
    expect(drained).toBe(true);
    await stopping.close();
  });

  describe('with the methods the template defines', () => {
    let routed: ApiGatewayStandIn;
    const events: APIGatewayProxyEvent[] = [];
    const integration = (timeoutMs: number) => ({ type: 'AWS_PROXY', timeoutMs });
    beforeAll(async () => {
      routed = await startApiGatewayStandIn({
        port: 0,
        handler: async (e) => {
          events.push(e);
          if (e.path === '/slow') await new Promise((r) => setTimeout(r, 400));
          return { statusCode: 200, body: '{}' };
        },
        region: REGION,
        credentials: CREDS,
        stage: 'prod',
        apiId: 'abc123defg',
        accountId: '000000000000',
        methods: [
          {
            logicalId: 'A',
            path: '/items/{id}',
            httpMethod: 'GET',
            authorizationType: 'AWS_IAM',
            integration: integration(29_000),
          },
          {
            logicalId: 'B',
            path: '/open',
            httpMethod: 'GET',
            authorizationType: 'NONE',
            integration: integration(29_000),
          },
          {
            logicalId: 'C',
            path: '/slow',
            httpMethod: 'GET',
            authorizationType: 'AWS_IAM',
            integration: integration(100),
          },
        ],
      });
    });
    afterAll(() => routed.close());

    const signed = async (method: string, path: string) => {
      const url = `${routed.url}${path}`;
      const headers = await signRequest(
        { method, url, headers: {} },
        { service: 'execute-api', region: REGION, credentials: CREDS },
      );
      return fetch(url, { method, headers });
    };

    it('answers a path or method the API does not define 403 Missing Authentication Token, signed or not', async () => {
      for (const res of [
        await signed('GET', '/nowhere'),
        await signed('DELETE', '/items/1'),
        await fetch(`${routed.url}/nowhere`),
        await signed('GET', '/items/1/more'),
      ]) {
        expect(res.status).toBe(403);
        expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
        expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
      }
    });

    it("passes the matched resource and its path parameters, checks SigV4 only where the method's auth type is AWS_IAM", async () => {
      expect((await signed('GET', '/items/42')).status).toBe(200);
      expect(events.at(-1)).toMatchObject({
        resource: '/items/{id}',
        pathParameters: { id: '42' },
        requestContext: { apiId: 'abc123defg', resourcePath: '/items/{id}', stage: 'prod' },
      });
      expect((await fetch(`${routed.url}/items/42`)).status).toBe(403);
      expect((await fetch(`${routed.url}/open`)).status).toBe(200);
    });

    it("keeps each method's integration timeout from the template (504)", async () => {
      const res = await signed('GET', '/slow');
      expect(res.status).toBe(504);
      expect(await res.json()).toEqual({ message: 'Endpoint request timed out' });
    });
  });
});

describe('the stage throttle', () => {
  it('answers 429 {"message":"Too Many Requests"} past the burst, without calling the function, and lets requests through again as the bucket refills', async () => {
    // GIVEN a stage throttled to 1 request a second with a burst of 2, on a clock the test moves
    let clock = 1_000_000;
    let handled = 0;
    const throttled = await startApiGatewayStandIn({
      port: 0,
      handler: async () => (handled++, { statusCode: 200, body: '{}' }),
      region: REGION,
      credentials: CREDS,
      throttle: { rateLimit: 1, burstLimit: 2 },
      now: () => clock,
    });
    const at = async () => {
      const url = `${throttled.url}/generations`;
      const headers = await signRequest(
        { method: 'GET', url },
        { service: 'execute-api', region: REGION, credentials: CREDS },
      );
      const res = await fetch(url, { headers });
      return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: await res.json() };
    };
    try {
      // WHEN three requests come at once
      const answers = [await at(), await at(), await at()];
      // THEN the burst passes and the third is throttled as API Gateway answers it
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(answers[2]).toEqual({
        status: 429,
        type: 'TooManyRequestsException',
        body: { message: 'Too Many Requests' },
      });
      expect(handled).toBe(2);
      // AND a second later one more token is there
      clock += 1_000;
      expect((await at()).status).toBe(200);
      expect((await at()).status).toBe(429);
    } finally {
      await throttled.close();
    }
  });
});
