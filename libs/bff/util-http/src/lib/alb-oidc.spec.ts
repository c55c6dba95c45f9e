import { generateKeyPairSync, sign } from 'node:crypto';

import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { AlbOidcVerifier } from './alb-oidc';

const ALB = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/imagegen/50dc6c495c0c9188';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const NOW = Date.parse('2026-11-24T12:00:00Z');

function token(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key = privateKey,
): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({
    alg: 'ES256',
    kid: 'key-1',
    signer: ALB,
    iss: 'https://cognito-idp',
    client: 'c',
    exp: NOW / 1000 + 60,
    ...header,
  });
  const body = enc({ sub: 'user-123', email: 'a@example.com', exp: NOW / 1000 + 60, ...claims });
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
    key,
    dsaEncoding: 'ieee-p1363',
  }).toString('base64url');
  return `${head}.${body}.${signature}`;
}

let fetched: string[] = [];
const sut = () =>
  new AlbOidcVerifier({
    region: 'us-west-2',
    albArn: ALB,
    now: () => NOW,
    fetchKey: async (kid) => {
      fetched.push(kid);
      return publicKey.export({ type: 'spki', format: 'pem' }).toString();
    },
  });

async function codeOf(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof ProblemError ? err.problem.code : String(err);
}

beforeEach(() => (fetched = []));

describe(AlbOidcVerifier.name, () => {
  it('answers the subject of a token the ALB signed, fetching its key once', async () => {
    const verifier = sut();
    expect(await verifier.ownerOf(token({}))).toBe('oidc:user-123');
    expect(await verifier.ownerOf(token({ sub: 'user-456' }))).toBe('oidc:user-456');
    expect(fetched).toEqual(['key-1']);
  });

  it.each([
    ['signed by another key', () => token({}, {}, other.privateKey)],
    ['from another load balancer', () => token({}, { signer: ALB.replace('imagegen', 'evil') })],
    ['expired', () => token({ exp: NOW / 1000 - 1 })],
    [
      'with a changed subject',
      () => {
        const [h, , s] = token({}).split('.');
        return `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: NOW / 1000 + 60 })).toString('base64url')}.${s}`;
      },
    ],
    ['with another algorithm', () => token({}, { alg: 'none' })],
    ['not a token', () => 'garbage'],
  ])('refuses a token %s with UNAUTHORIZED', async (_name, make) => {
    expect(await codeOf(sut().ownerOf(make()))).toBe(ErrorCode.UNAUTHORIZED);
  });
});
