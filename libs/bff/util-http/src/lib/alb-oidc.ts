import { createPublicKey, KeyObject, verify } from 'node:crypto';

import { ErrorCode, OWNER_ID_PATTERN, ProblemError } from '@imagegen/contracts';

/** Fetches the PEM public key the ALB signed with (by key id); cached by the verifier. */
export type AlbKeyFetcher = (kid: string) => Promise<string>;

export interface AlbOidcOptions {
  /** The ALB's region: its keys live at https://public-keys.auth.elb.<region>.amazonaws.com/<kid>. */
  readonly region: string;
  /** The ALB ARN the token must name as `signer` (so no other ALB's token is accepted). */
  readonly albArn: string;
  readonly fetchKey?: AlbKeyFetcher;
  readonly now?: () => number;
}

function base64urlJson(part: string): Record<string, unknown> {
  // ALB tokens may carry base64 padding; Node's base64url decoder takes either.
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const unauthorized = (detail: string) => ProblemError.of(ErrorCode.UNAUTHORIZED, detail);

/**
 * Verifies the `x-amzn-oidc-data` token the ALB adds after Cognito/OIDC sign-in (ES256, the ALB's
 * regional public key, `signer` and `exp` checked) and answers the owner id for its subject.
 */
export class AlbOidcVerifier {
  private readonly keys = new Map<string, Promise<KeyObject>>();
  private readonly fetchKey: AlbKeyFetcher;
  private readonly now: () => number;

  constructor(private readonly options: AlbOidcOptions) {
    this.fetchKey =
      options.fetchKey ??
      (async (kid) => {
        const res = await fetch(
          `https://public-keys.auth.elb.${options.region}.amazonaws.com/${encodeURIComponent(kid)}`,
          { signal: AbortSignal.timeout(5_000) },
        );
        if (!res.ok) throw new Error(`ALB key ${kid}: HTTP ${res.status}`);
        return res.text();
      });
    this.now = options.now ?? Date.now;
  }

  async ownerOf(token: string): Promise<string> {
    const parts = token.split('.');
    if (parts.length !== 3) throw unauthorized('the sign-in token is malformed');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = base64urlJson(parts[0]);
      claims = base64urlJson(parts[1]);
    } catch {
      throw unauthorized('the sign-in token is malformed');
    }
    const kid = header['kid'];
    if (header['alg'] !== 'ES256' || typeof kid !== 'string' || !/^[\w-]{1,128}$/.test(kid))
      throw unauthorized('the sign-in token is not an ALB token');
    if (header['signer'] !== this.options.albArn)
      throw unauthorized('the sign-in token comes from another load balancer');
    const key = await this.key(kid);
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature))
      throw unauthorized('the sign-in token signature is not valid');
    const exp = Number(claims['exp'] ?? header['exp']);
    if (!Number.isFinite(exp) || exp * 1000 < this.now())
      throw unauthorized('the sign-in has expired: reload the page');
    const sub = claims['sub'];
    const owner = `oidc:${String(sub)}`;
    if (typeof sub !== 'string' || !OWNER_ID_PATTERN.test(owner))
      throw unauthorized('the sign-in token has no usable subject');
    return owner;
  }

  private key(kid: string): Promise<KeyObject> {
    let key = this.keys.get(kid);
    if (!key) {
      key = this.fetchKey(kid).then((pem) => createPublicKey(pem));
      key.catch(() => this.keys.delete(kid));
      this.keys.set(kid, key);
    }
    return key;
  }
}
