import { AlbJwtVerifier } from 'aws-jwt-verify';
import { AlbJwksCache } from 'aws-jwt-verify/alb-cache';
import { JwtExpiredError } from 'aws-jwt-verify/error';

import { ErrorCode, OWNER_ID_PATTERN, ProblemError } from '@imagegen/contracts';

/** Fetches the PEM public key the ALB signed with, from its URL (https://public-keys.auth.elb.<region>.amazonaws.com/<kid>). */
export type AlbKeyFetcher = (url: string) => Promise<string>;

export interface AlbOidcOptions {
  /** The ALB ARN the token must name as `signer` (so no other load balancer's token is accepted). */
  readonly albArn: string;
  /** The `iss` the tokens carry: for Cognito, https://cognito-idp.<region>.amazonaws.com/<user pool id>. */
  readonly issuer: string;
  /** The app client the ALB signs users in with (the token's `client` claim). */
  readonly clientId: string;
  /** Tests hand keys in; by default AWS's public key endpoint for the ALB's region is asked (and cached). */
  readonly fetchKey?: AlbKeyFetcher;
}

const unauthorized = (detail: string) => ProblemError.of(ErrorCode.UNAUTHORIZED, detail);

/**
 * Verifies the `x-amzn-oidc-data` token the ALB adds after Cognito/OIDC sign-in with AWS's own
 * aws-jwt-verify (`AlbJwtVerifier`: ES256 with the ALB's regional key, `signer`, `iss`, `client` and
 * `exp` checked) and answers the owner id for its subject.
 */
export class AlbOidcVerifier {
  private readonly verifier;

  constructor(options: AlbOidcOptions) {
    const fetchKey = options.fetchKey;
    const jwksCache = fetchKey
      ? new AlbJwksCache({
          fetcher: { fetch: async (url: string) => new TextEncoder().encode(await fetchKey(url)).buffer },
        })
      : new AlbJwksCache();
    this.verifier = AlbJwtVerifier.create(
      { albArn: options.albArn, issuer: options.issuer, clientId: options.clientId },
      { jwksCache },
    );
  }

  async ownerOf(token: string): Promise<string> {
    let claims: Record<string, unknown>;
    try {
      claims = (await this.verifier.verify(token)) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof JwtExpiredError) throw unauthorized('the sign-in has expired: reload the page');
      throw unauthorized('the sign-in token is not valid for this load balancer');
    }
    const sub = claims['sub'];
    const owner = `oidc:${String(sub)}`;
    if (typeof sub !== 'string' || !OWNER_ID_PATTERN.test(owner))
      throw unauthorized('the sign-in token has no usable subject');
    return owner;
  }
}
