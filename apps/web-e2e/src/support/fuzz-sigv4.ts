import { signRawRequest } from '@imagegen/shared/util-sigv4';

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
  unknownKey: {
    accessKeyId: 'AKIAFUZZOTHERKEY0000',
    secretAccessKey: 'another/secret/key/that/no/stand-in/knows00',
  },
  wrongSecret: {
    accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    secretAccessKey: 'not-the-local-secret/0000000000000000000',
  },
} as const;

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * SigV4 (`execute-api`) headers for a request whose path is sent exactly as given (odd paths included):
 * the BFF's own signing (libs/shared/util-sigv4), over the raw path rather than a normalised URL.
 */
export async function signExecuteApi(
  request: {
    readonly method: string;
    readonly host: string;
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: Buffer;
  },
  credentials: Credentials = LOCAL_CREDENTIALS,
): Promise<Record<string, string>> {
  return signRawRequest(
    { ...request, protocol: 'http:' },
    { service: 'execute-api', region: LOCAL_REGION, credentials },
  );
}
