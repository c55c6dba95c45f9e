import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { ReceivedRequest, signRequest, VerifyOptions, verifySigV4 } from './sigv4';

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const lookupSecret = (id: string) => (id === CREDS.accessKeyId ? CREDS.secretAccessKey : undefined);
const API: VerifyOptions = { service: 'execute-api', region: 'us-west-2', lookupSecret };
const S3: VerifyOptions = { service: 's3', region: 'us-west-2', lookupSecret };

/** Captures what a real client sends, as a server receives it. */
let server: Server;
let base: string;
let received: ReceivedRequest[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => (received = []));

async function sendSigned(path: string, body: string, credentials = CREDS) {
  const url = `${base}${path}`;
  const headers = await signRequest(
    { method: 'POST', url, headers: { 'content-type': 'application/json', 'x-imagegen-owner': 'o1' }, body },
    { service: 'execute-api', region: 'us-west-2', credentials },
  );
  await fetch(url, { method: 'POST', headers, body });
  return received[received.length - 1];
}

async function presignedGet(key: string, expiresIn = 900) {
  const s3 = new S3Client({ region: 'us-west-2', endpoint: base, forcePathStyle: true, credentials: CREDS });
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'images', Key: key }), { expiresIn });
  await fetch(url);
  return { url, req: received[received.length - 1] };
}

describe(verifySigV4.name, () => {
  it('accepts a request signed by signRequest, with its query and body', async () => {
    const req = await sendSigned('/generations?limit=5&cursor=g1.abc%3Ad', '{"prompt":"a cat"}');
    expect(await verifySigV4(req, API)).toEqual({ ok: true, accessKeyId: CREDS.accessKeyId });
  });

  it.each([
    ['the path', (r: ReceivedRequest) => ({ ...r, url: r.url.replace('/generations', '/generationz') })],
    ['the query', (r: ReceivedRequest) => ({ ...r, url: r.url.replace('limit=5', 'limit=6') })],
    [
      'a signed header',
      (r: ReceivedRequest) => ({ ...r, headers: { ...r.headers, 'x-imagegen-owner': 'o2' } }),
    ],
    ['the body', (r: ReceivedRequest) => ({ ...r, body: Buffer.from('{"prompt":"a dog"}') })],
    ['the method', (r: ReceivedRequest) => ({ ...r, method: 'PUT' })],
  ])('rejects a request whose %s was changed after signing', async (_what, tamper) => {
    const req = await sendSigned('/generations?limit=5', '{"prompt":"a cat"}');
    expect(await verifySigV4(tamper(req), API)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a request signed with another secret, an unknown key, or none', async () => {
    const wrong = await sendSigned('/generations', '{}', { ...CREDS, secretAccessKey: 'not-the-secret' });
    expect(await verifySigV4(wrong, API)).toEqual({ ok: false, reason: 'mismatch' });
    const unknown = await sendSigned('/generations', '{}', {
      accessKeyId: 'AKIAOTHER',
      secretAccessKey: 'x',
    });
    expect(await verifySigV4(unknown, API)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(await verifySigV4({ method: 'GET', url: '/', headers: {}, body: Buffer.alloc(0) }, API)).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it('rejects a header-signed request older than 15 minutes (replay)', async () => {
    const req = await sendSigned('/generations', '{}');
    const later = new Date(Date.now() + 16 * 60 * 1000);
    expect(await verifySigV4(req, { ...API, now: later })).toEqual({ ok: false, reason: 'expired' });
  });

  it('accepts an S3 presigned URL made by the real presigner, with an encoded key', async () => {
    const { req } = await presignedGet('owners/anon:1/generations/g1/i 1.png');
    expect(await verifySigV4(req, S3)).toEqual({ ok: true, accessKeyId: CREDS.accessKeyId });
  });

  it('rejects a presigned URL pointing at another key, or with a changed signature', async () => {
    const { req } = await presignedGet('owners/a/generations/g1/1.png');
    const otherKey = { ...req, url: req.url.replace('owners/a/', 'owners/b/') };
    expect(await verifySigV4(otherKey, S3)).toEqual({ ok: false, reason: 'mismatch' });
    const forged = {
      ...req,
      url: req.url.replace(
        /X-Amz-Signature=([0-9a-f])/,
        (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
      ),
    };
    expect((await verifySigV4(forged, S3)).ok).toBe(false);
  });

  it('rejects a presigned URL past its expiry, and one whose expiry was lengthened', async () => {
    const { req } = await presignedGet('k.png', 60);
    expect(await verifySigV4(req, { ...S3, now: new Date(Date.now() + 61_000) })).toEqual({
      ok: false,
      reason: 'expired',
    });
    const longer = { ...req, url: req.url.replace('X-Amz-Expires=60', 'X-Amz-Expires=604800') };
    expect(await verifySigV4(longer, S3)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a request signed for another service', async () => {
    const req = await sendSigned('/generations', '{}');
    expect(await verifySigV4(req, S3)).toEqual({ ok: false, reason: 'mismatch' });
  });
});
