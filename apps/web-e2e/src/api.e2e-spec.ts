import { IMAGE_SERVICES, ServiceInfo } from '@imagegen/contracts';

import { APP_URL } from './support/stack';

// The BFF's HTTP contract through the whole stack (web front → BFF → API Gateway → Lambda → stand-ins).
const CORE = 'stability.stable-image-core-v1:1';

async function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${APP_URL}/api/generations`, { method: 'POST', headers, body });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    cookie: res.headers.get('set-cookie') ?? '',
    body: await res.json(),
  };
}

describe('the API through the local stack', () => {
  it('issues an owner cookie and starts a job that the same owner can read, and no one else', async () => {
    const created = await post(JSON.stringify({ modelId: CORE, prompt: 'a quiet harbour' }));
    expect(created.status).toBe(202);
    expect(created.cookie).toMatch(/imagegen_owner=.*HttpOnly.*SameSite=Lax/i);
    const cookie = created.cookie.split(';')[0];
    const mine = await fetch(`${APP_URL}/api/generations/${created.body.id}`, { headers: { cookie } });
    expect(mine.status).toBe(200);
    const theirs = await fetch(`${APP_URL}/api/generations/${created.body.id}`);
    expect(theirs.status).toBe(404);
  });

  it.each([
    [
      'an oversized body',
      JSON.stringify({ modelId: CORE, prompt: 'x'.repeat(200_000) }),
      undefined,
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a form body',
      'prompt=x',
      { 'content-type': 'application/x-www-form-urlencoded' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'an unknown field',
      JSON.stringify({ modelId: CORE, prompt: 'x', cfg_scale: 7 }),
      undefined,
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a seed too large',
      JSON.stringify({ modelId: CORE, prompt: 'x', seed: 99999999999 }),
      undefined,
      400,
      'VALIDATION_FAILED',
    ],
    ['truncated JSON', '{"modelId":', undefined, 400, 'VALIDATION_FAILED'],
  ])('answers %s with its problem+json', async (_name, body, headers, status, code) => {
    const res = await post(body, headers);
    expect(res.status).toBe(status);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js:\d+/);
  });

  it("answers every Image Service's ETA through the front, the BFF's signed call and the template's route", async () => {
    const res = await fetch(`${APP_URL}/api/services`);
    expect(res.status).toBe(200);
    const services = (await res.json()) as ServiceInfo[];
    expect(services.map((s) => s.id).sort()).toEqual(IMAGE_SERVICES.map((s) => s.id).sort());
    expect(
      services.every((s) => s.eta.p50Seconds >= 0 && ['measured', 'catalog'].includes(s.eta.source)),
    ).toBe(true);
  });

  it('keeps HTML in a prompt as text inside JSON', async () => {
    const prompt = '<script>alert("x")</script> a lighthouse';
    const res = await post(JSON.stringify({ modelId: CORE, prompt }));
    expect(res.status).toBe(202);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body.request.prompt).toBe(prompt);
  });

  it('streams a job as server-sent events through the front until it ends', async () => {
    const created = await post(JSON.stringify({ modelId: CORE, prompt: 'a tiny robot' }));
    const res = await fetch(`${APP_URL}/api/generations/${created.body.id}/events`, {
      headers: { cookie: created.cookie.split(';')[0] },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const statuses = [...text.matchAll(/"status":"(\w+)"/g)].map((m) => m[1]);
    expect(statuses[statuses.length - 1]).toBe('succeeded');
  });
});
