import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * The local stand-ins' fixed keys (apps/local-cloud settings): they only ever open the loopback
 * stand-ins, never AWS. Repeated here because an e2e project may not import an app.
 */
export const LOCAL_REGION = 'us-west-2';
export const LOCAL_CREDENTIALS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
} as const;

/** Keys the stand-ins do not know, and the right key id with a wrong secret. */
export const OTHER_CREDENTIALS = {
  unknownKey: { accessKeyId: 'AKIAFUZZOTHERKEY0000', secretAccessKey: 'another/secret/key/that/no/stand-in/knows00' },
  wrongSecret: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-local-secret/0000000000000000000' },
} as const;

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Splits a raw query the way the stand-ins' verifier does (each key and value percent-decoded once). */
function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const existing = query[key];
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * SigV4 (`execute-api`) headers for a request whose path is sent exactly as given (odd paths included):
 * what the BFF does with libs/shared/util-sigv4, over the raw path rather than a normalised URL.
 */
export async function signExecuteApi(
  request: { readonly method: string; readonly host: string; readonly path: string; readonly headers: Readonly<Record<string, string>>; readonly body?: Buffer },
  credentials: Credentials = LOCAL_CREDENTIALS,
): Promise<Record<string, string>> {
  const q = request.path.indexOf('?');
  const signer = new SignatureV4({ service: 'execute-api', region: LOCAL_REGION, credentials, sha256: Sha256, uriEscapePath: true });
  const [hostname, port] = request.host.split(':');
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname,
      port: port ? Number(port) : undefined,
      path: q < 0 ? request.path : request.path.slice(0, q),
      query: parseQuery(q < 0 ? '' : request.path.slice(q + 1)),
      headers: { ...request.headers, host: request.host },
      body: request.body ?? '',
    }),
  );
  return signed.headers;
}
