// A browser's calls to the BFF, counted: every response's bytes and content type are recorded, so the
// benchmark can show that no image byte passes through the BFF.
import { sleep } from './stack.mjs';

export const CORE = 'stability.stable-image-core-v1:1';
export const SD35 = 'stability.sd3-5-large-v1:0';

export const traffic = { responses: 0, bytes: 0, largest: 0, imageBytes: 0, types: new Set() };

async function counted(res) {
  const body = Buffer.from(await res.arrayBuffer());
  const type = (res.headers.get('content-type') ?? '').split(';')[0];
  traffic.responses++;
  traffic.bytes += body.length;
  traffic.largest = Math.max(traffic.largest, body.length);
  traffic.types.add(type || '(none)');
  if (/^image\//.test(type) || isImage(body)) traffic.imageBytes += body.length;
  return {
    status: res.status,
    headers: res.headers,
    body: body.length ? JSON.parse(body.toString('utf8')) : undefined,
  };
}

/** PNG, JPEG or WebP bytes (in case an image were ever sent with another content type). */
function isImage(b) {
  return (
    (b[0] === 0x89 && b[1] === 0x50) ||
    (b[0] === 0xff && b[1] === 0xd8) ||
    (b.subarray(0, 4).toString() === 'RIFF' && b.subarray(8, 12).toString() === 'WEBP')
  );
}

/** A browser: its own owner cookie, from the first call that needs an owner. */
export async function browser(url) {
  const res = await fetch(`${url}/api/summary`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  await counted(res);
  const call = async (method, path, body, headers = {}) =>
    counted(
      await fetch(`${url}${path}`, {
        method,
        headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
    );
  return {
    cookie,
    call,
    create: (request, headers) => call('POST', '/api/generations', request, headers),
    get: (id) => call('GET', `/api/generations/${id}`),
    /** Reads the job every `pollMs` until it ends; answers the ended job and when the client saw it. */
    async settle(id, pollMs = 20, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { status, body } = await call('GET', `/api/generations/${id}`);
        if (status !== 200) throw new Error(`reading job ${id}: HTTP ${status} ${body?.code ?? ''}`);
        if (!['queued', 'running'].includes(body.status)) return { job: body, seenAt: performance.now() };
        if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status}`);
        await sleep(pollMs);
      }
    },
  };
}

/** Server-side time of a job: from the record's creation to its last update (the end). */
export const jobMs = (job) => Date.parse(job.updatedAt) - Date.parse(job.createdAt);

export function pct(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

/** Runs `task(i)` for i in 0..n-1 with at most `concurrency` at once. */
export async function pool(n, concurrency, task) {
  const results = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}
