import { Generation, OWNER_HEADER } from '@imagegen/contracts';
import { signRequest } from '@imagegen/shared/util-sigv4';

import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../settings';

export interface ApiAnswer {
  readonly status: number;
  readonly type: string | null;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads whatever the API answered
  readonly body: any;
}

export interface GeneratorApiClient {
  /** A call the way the BFF makes it: SigV4-signed, with the owner header. */
  call(
    method: string,
    path: string,
    body?: unknown,
    owner?: string,
    extra?: Record<string, string>,
  ): Promise<ApiAnswer>;
  /** Reads a job until it has ended (the read path settles a stale one), or throws after `timeoutMs`. */
  settled(id: string, owner?: string, timeoutMs?: number): Promise<Generation>;
}

/** The generator API behind the local API Gateway stand-in, for integration tests. */
export function generatorApi(
  baseUrl: () => string,
  defaultOwner: string,
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } = LOCAL_CREDENTIALS,
): GeneratorApiClient {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    owner = defaultOwner,
    extra: Record<string, string> = {},
  ): Promise<ApiAnswer> => {
    const url = `${baseUrl()}${path}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await signRequest(
      {
        method,
        url,
        headers: { 'content-type': 'application/json', [OWNER_HEADER]: owner, ...extra },
        ...(text ? { body: text } : {}),
      },
      { service: 'execute-api', region: LOCAL_REGION, credentials },
    );
    const res = await fetch(url, { method, headers, ...(text ? { body: text } : {}) });
    const raw = res.status === 204 ? '' : await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      headers: res.headers,
      body: raw ? JSON.parse(raw) : undefined,
    };
  };
  const settled = async (id: string, owner = defaultOwner, timeoutMs = 30_000): Promise<Generation> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await call('GET', `/generations/${id}`, undefined, owner);
      if (status === 200 && !['queued', 'running'].includes(body.status)) return body;
      if (Date.now() > deadline)
        throw new Error(
          `job ${id} still ${status === 200 ? body.status : `HTTP ${status}`} after ${timeoutMs} ms`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { call, settled };
}
