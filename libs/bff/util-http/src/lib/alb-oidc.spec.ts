import { generateKeyPairSync, sign } from 'node:crypto';

import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { AlbOidcVerifier } from './alb-oidc';

const ALB = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/imagegen/50dc6c495c0c9188';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
// aws-jwt-verify checks expiry against the real clock.
const NOW = Date.now();
const ISSUER = 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Example';
const CLIENT = 'app-client-1';
// ALB key ids are UUIDs (aws-jwt-verify refuses others).
const KID = '8f1ac2b4-5d3e-4c1b-9a7e-2f6d8b0c1e3a';

function token(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key = privateKey,
): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({
    alg: 'ES256',
    kid: KID,
    signer: ALB,
    iss: ISSUER,
    client: CLIENT,
    exp: Math.floor(NOW / 1000) + 60,
    ...header,
  });
  const body = enc({
    sub: 'user-123',
    email: 'a@example.com',
    iss: ISSUER,
    exp: Math.floor(NOW / 1000) + 60,
    ...claims,
  });
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
    key,
    dsaEncoding: 'ieee-p1363',
  }).toString('base64url');
  return `${head}.${body}.${signature}`;
}

let fetched: string[] = [];
const sut = () =>
  new AlbOidcVerifier({
    albArn: ALB,
    issuer: ISSUER,
    clientId: CLIENT,
    fetchKey: async (url) => {
      fetched.push(url);
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
    expect(fetched).toEqual([`https://public-keys.auth.elb.us-west-2.amazonaws.com/${KID}`]);
  });

  it.each([
    ['signed by another key', () => token({}, {}, other.privateKey)],
    ['from another load balancer', () => token({}, { signer: ALB.replace('imagegen', 'evil') })],
    ['expired', () => token({ exp: Math.floor(NOW / 1000) - 1 })],
    ['for another app client', () => token({}, { client: 'other-client' })],
    ['from another issuer', () => token({ iss: 'https://evil.example' })],
    [
      'with a changed subject',
      () => {
        const [h, , s] = token({}).split('.');
        return `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, exp: Math.floor(NOW / 1000) + 60 })).toString('base64url')}.${s}`;
      },
    ],
    ['with another algorithm', () => token({}, { alg: 'none' })],
    ['not a token', () => 'garbage'],
  ])('refuses a token %s with UNAUTHORIZED', async (_name, make) => {
    expect(await codeOf(sut().ownerOf(make()))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('tells the user to reload when the sign-in has expired', async () => {
    const err = await sut()
      .ownerOf(token({ exp: Math.floor(NOW / 1000) - 1 }))
      .catch((e: unknown) => e);
    expect((err as ProblemError).problem.detail).toBe('the sign-in has expired: reload the page');
  });
});
