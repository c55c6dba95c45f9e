// The Lambda bundles' credential provider: esbuild puts this module in place of the SDK's default
// chain (@aws-sdk/credential-provider-node; see apps/generator/bundle.cjs). Lambda hands every
// function its role's credentials in the environment, so the chain's other links (SSO, profiles,
// web identity, IMDS: ~100 KiB of bundle with their STS/SSO clients) are never reached there.
// Local runs (local cloud, tests) use the source and keep the SDK's full chain.
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export class EnvironmentCredentialsMissing extends Error {
  override readonly name = 'CredentialsProviderError';
}

/** Same shape as the SDK's `defaultProvider(init)`: a provider reading the environment on each call. */
export function defaultProvider(): AwsCredentialIdentityProvider {
  return async (): Promise<AwsCredentialIdentity> => {
    const accessKeyId = process.env['AWS_ACCESS_KEY_ID'];
    const secretAccessKey = process.env['AWS_SECRET_ACCESS_KEY'];
    if (!accessKeyId || !secretAccessKey)
      throw new EnvironmentCredentialsMissing(
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function role)',
      );
    const sessionToken = process.env['AWS_SESSION_TOKEN'];
    const expiration = process.env['AWS_CREDENTIAL_EXPIRATION'];
    return {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
    };
  };
}
