import {
  Generation,
  GENERATION_ID_PATTERN,
  GenerationPage,
  isTerminal,
  OWNER_HEADER,
  OWNER_ID_PATTERN,
} from '@imagegen/contracts';

import { codeOf, RawRequest, RawResponse, sendRaw } from './fuzz-http';
import { bodyBytes, FuzzRequest, POOL_SIZE, Target } from './fuzz-requests';
import { Credentials, LOCAL_CREDENTIALS, signExecuteApi } from './fuzz-sigv4';

export const OWNER_COOKIE = 'imagegen_owner';

export interface FuzzEndpoints {
  /** The web front (the BFF is under /api). */
  readonly app: string;
  /** The API Gateway stand-in (the generator API), without the stage. */
  readonly apiGateway: string;
  readonly stage: string;
  /** The S3 stand-in (its admin endpoint lists objects). */
  readonly s3: string;
}

/** The owner id in a Set-Cookie of the BFF (cookie-parser's signed form `s:<owner>.<signature>`), if any. */
export function ownerFromSetCookie(res: RawResponse): { cookie: string; owner: string } | undefined {
  const all = res.headers['set-cookie'] ?? [];
  for (const line of all) {
    const m = new RegExp(`^${OWNER_COOKIE}=([^;]*)`).exec(line);
    if (!m) continue;
    const value = decodeURIComponent(m[1]);
    if (!value.startsWith('s:')) continue;
    return { cookie: `${OWNER_COOKIE}=${m[1]}`, owner: value.slice(2, value.lastIndexOf('.')) };
  }
  return undefined;
}

/** A call to the generator API as the BFF makes it: SigV4-signed, the owner in its header. */
export async function generatorCall(
  endpoints: FuzzEndpoints,
  method: string,
  path: string,
  owner?: string,
  credentials: Credentials = LOCAL_CREDENTIALS,
  extra: Record<string, string> = {},
): Promise<RawResponse> {
  const host = new URL(endpoints.apiGateway).host;
  const full = `/${endpoints.stage}${path}`;
  const headers = {
    accept: 'application/json',
    ...(owner === undefined ? {} : { [OWNER_HEADER]: owner }),
    ...extra,
  };
  const signed = await signExecuteApi({ method, host, path: full, headers }, credentials);
  return sendRaw({ origin: endpoints.apiGateway, method, path: full, headers: signed });
}

interface Job {
  readonly owner: string;
  readonly id: string;
}

/**
 * What the run made and whom for: the owners it acted as, the jobs their 2xx creations answered and
 * the ones it deleted. At the end it checks the stores against that: nothing else was written.
 */
export class FuzzLedger {
  /** Each target's pool owners: BFF cookie owners (from the BFF), generator owners (named by us). */
  private readonly pool: Record<Target, { owner: string; cookie?: string }[]> = { bff: [], generator: [] };
  /** Every owner the run acted as (audited at the end), with the jobs it should have. */
  private readonly expected = new Map<string, Set<string>>();
  /** Every job ever made (deleted ones stay: asking for them must be 404). */
  private readonly jobs: Job[] = [];
  private readonly anomalies: string[] = [];
  readonly histogram = new Map<string, number>();
  readonly codes = new Map<string, number>();
  requests = 0;
  created = 0;
  deleted = 0;

  constructor(
    private readonly endpoints: FuzzEndpoints,
    seed: number,
  ) {
    for (let i = 0; i < POOL_SIZE; i++) this.pool.generator.push({ owner: `fuzz-${seed >>> 0}-g${i}` });
    // Owner headers the browser may try to smuggle through the BFF: it must drop them, so these stay empty.
    for (const spoofed of ['readiness-probe', 'fuzz-spoofed-owner', 'anon-x']) this.track(spoofed);
    for (const { owner } of this.pool.generator) this.track(owner);
  }

  /** Makes the BFF pool: one anonymous owner (cookie) each. */
  async setUp(): Promise<void> {
    for (let i = 0; i < POOL_SIZE; i++) {
      const res = await sendRaw({
        origin: this.endpoints.app,
        method: 'GET',
        path: '/api/summary',
        headers: {},
      });
      const issued = ownerFromSetCookie(res);
      if (res.status !== 200 || !issued)
        throw new Error(`the BFF did not issue an owner cookie (HTTP ${res.status})`);
      this.pool.bff.push(issued);
      this.track(issued.owner);
    }
  }

  private track(owner: string): Set<string> {
    let ids = this.expected.get(owner);
    if (!ids) this.expected.set(owner, (ids = new Set()));
    return ids;
  }

  /** The owner a request acts as, when we can tell before the answer (pool owners, a well-formed header). */
  private ownerOf(req: FuzzRequest): string | undefined {
    if (req.owner.kind === 'pool') return this.pool[req.target][req.owner.index]?.owner;
    if (req.target === 'generator' && req.owner.kind === 'forged') {
      const trimmed = req.owner.value.trim();
      return OWNER_ID_PATTERN.test(trimmed) ? trimmed : undefined;
    }
    return undefined;
  }

  private realId(owner: string | undefined, pick: number, mine: boolean): string {
    const candidates = this.jobs.filter((j) =>
      mine ? j.owner === (owner ?? this.pool.bff[0]?.owner) : j.owner !== owner,
    );
    // Well-formed, but nobody's, until the run has made a job.
    return candidates.length ? candidates[pick % candidates.length].id : `0${'z'.repeat(19)}`;
  }

  /** The request on the wire: real ids in place, the cookie or the signed owner header. */
  async toRaw(req: FuzzRequest): Promise<RawRequest> {
    const owner = this.ownerOf(req);
    const fill = (text: string) =>
      text
        .replaceAll('{own}', this.realId(owner, req.pick, true))
        .replaceAll('{OWN}', this.realId(owner, req.pick, true).toUpperCase())
        .replaceAll('{other}', this.realId(owner, req.pick, false));
    const path = fill(req.path);
    const body = req.body === undefined ? undefined : bodyBytes(req.body, fill);
    const headers: Record<string, string> = { ...req.headers };
    if (req.target === 'bff') {
      const cookie = this.cookieFor(req);
      if (cookie !== undefined) headers['cookie'] = cookie;
      return {
        origin: this.endpoints.app,
        method: req.method,
        path: `/api${path}`,
        headers,
        ...(body ? { body } : {}),
        chunked: req.chunked,
      };
    }
    if (req.owner.kind === 'pool') headers[OWNER_HEADER] = this.pool.generator[req.owner.index].owner;
    if (req.owner.kind === 'forged') headers[OWNER_HEADER] = req.owner.value;
    const full = `/${this.endpoints.stage}${path}`;
    const signed = await signExecuteApi({
      method: req.method,
      host: new URL(this.endpoints.apiGateway).host,
      path: full,
      headers,
      ...(body ? { body } : {}),
    });
    return {
      origin: this.endpoints.apiGateway,
      method: req.method,
      path: full,
      headers: signed,
      ...(body ? { body } : {}),
      chunked: req.chunked,
    };
  }

  private cookieFor(req: FuzzRequest): string | undefined {
    if (req.owner.kind === 'pool') return this.pool.bff[req.owner.index].cookie;
    if (req.owner.kind === 'none') return undefined;
    const real = this.pool.bff[0].cookie ?? '';
    switch (req.owner.value) {
      case 'tamper': // the same owner, another signature
        return real.slice(0, -3) + (real.endsWith('AAA') ? 'BBB' : 'AAA');
      case 'unsigned': // the owner id without the signature
        return `${OWNER_COOKIE}=${encodeURIComponent(this.pool.bff[0].owner)}`;
      default:
        return `${OWNER_COOKIE}=${req.owner.value}`;
    }
  }

  /** Counts an answer and notes what it made or removed, and for whom. */
  record(req: FuzzRequest, raw: RawRequest, res: RawResponse): void {
    this.requests++;
    const key = `${req.target} ${res.status}`;
    this.histogram.set(key, (this.histogram.get(key) ?? 0) + 1);
    const code = codeOf(res);
    if (code) this.codes.set(`${req.target} ${code}`, (this.codes.get(`${req.target} ${code}`) ?? 0) + 1);

    let owner = this.ownerOf(req);
    if (req.target === 'bff') {
      const issued = ownerFromSetCookie(res);
      if (issued) {
        if (req.owner.kind === 'pool')
          this.anomalies.push(
            `the BFF replaced a valid owner cookie on ${raw.method} ${raw.path.slice(0, 100)}`,
          );
        owner = issued.owner;
        this.track(owner);
      }
    }
    if (res.status < 200 || res.status >= 300) return;
    if (raw.method === 'POST' && res.status !== 204) {
      let body: Partial<Generation> | undefined;
      try {
        body = JSON.parse(res.body.toString('utf8')) as Partial<Generation>;
      } catch {
        body = undefined;
      }
      if (
        body &&
        typeof body.id === 'string' &&
        GENERATION_ID_PATTERN.test(body.id) &&
        typeof body.status === 'string'
      ) {
        if (owner === undefined) {
          this.anomalies.push(
            `a job ${body.id} was made by ${raw.method} ${raw.path.slice(0, 100)} for no owner the run knows`,
          );
          return;
        }
        if (!this.track(owner).has(body.id)) {
          this.track(owner).add(body.id);
          this.jobs.push({ owner, id: body.id });
          if (res.status === 202) this.created++;
        }
      }
    }
    if (raw.method === 'DELETE' && res.status === 204 && owner !== undefined) {
      const id = /generations\/([0-9a-z]{10,40})(?:[/?#;]|$)/.exec(raw.path)?.[1];
      if (id && this.track(owner).delete(id)) this.deleted++;
    }
  }

  /** Waits until no job of the run is queued or running (the model stand-in takes 0 ms). */
  async settle(deadlineMs = 120_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      let busy = 0;
      for (const owner of this.expected.keys())
        busy += (await this.listJobs(owner)).filter((j) => !isTerminal(j.status)).length;
      if (busy === 0) return;
      if (Date.now() > deadline) throw new Error(`${busy} jobs of the fuzz run are still queued or running`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async listJobs(owner: string): Promise<Generation[]> {
    const all: Generation[] = [];
    let cursor: string | undefined;
    do {
      const res = await generatorCall(
        this.endpoints,
        'GET',
        `/generations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        owner,
      );
      if (res.status !== 200)
        throw new Error(
          `listing the jobs of ${owner} failed: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`,
        );
      const page = JSON.parse(res.body.toString('utf8')) as GenerationPage;
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  async objectKeys(owner: string): Promise<string[]> {
    const res = await fetch(
      `${this.endpoints.s3}/__objects?prefix=${encodeURIComponent(`owners/${owner}/`)}`,
    );
    if (!res.ok) throw new Error(`listing the objects of ${owner} failed: HTTP ${res.status}`);
    return ((await res.json()) as { objects: { key: string }[] }).objects.map((o) => o.key);
  }

  /**
   * Every discrepancy between the stores and the run's 2xx answers: a job no 2xx made (or one a
   * 2xx made that is gone), an object of no listed job, a listed image whose object is missing.
   */
  async audit(): Promise<string[]> {
    const problems = [...this.anomalies];
    for (const [owner, ids] of this.expected) {
      const listed = await this.listJobs(owner);
      const listedIds = new Set(listed.map((j) => j.id));
      for (const id of listedIds)
        if (!ids.has(id)) problems.push(`owner ${owner}: job ${id} exists, but no 2xx answer made it`);
      for (const id of ids)
        if (!listedIds.has(id))
          problems.push(`owner ${owner}: job ${id} was made (2xx) and never deleted, but is gone`);
      const keys = await this.objectKeys(owner);
      const prefix = `owners/${owner}/generations/`;
      for (const key of keys) {
        const id = key.startsWith(prefix) ? key.slice(prefix.length).split('/')[0] : undefined;
        if (!id || !listedIds.has(id)) problems.push(`owner ${owner}: object ${key} belongs to no job`);
      }
      const keySet = new Set(keys);
      for (const job of listed) {
        for (const url of job.images.flatMap((i) => [i.url, ...(i.thumbnailUrl ? [i.thumbnailUrl] : [])])) {
          // A path-style presigned URL: /<bucket>/<key>
          const key = decodeURIComponent(new URL(url).pathname.split('/').slice(2).join('/'));
          if (!keySet.has(key))
            problems.push(`owner ${owner}: job ${job.id} names ${key}, which is not stored`);
        }
      }
    }
    return problems;
  }

  get owners(): number {
    return this.expected.size;
  }
}
