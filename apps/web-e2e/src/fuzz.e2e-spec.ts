import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

import { describeExchange, ruleBroken, sendRaw } from './support/fuzz-http';
import { FuzzLedger } from './support/fuzz-ledger';
import { FuzzRequest, fuzzRequest, Target } from './support/fuzz-requests';
import { APP_URL, ARTIFACTS, E2E_PORTS, S3_ORIGIN } from './support/stack';

// Fuzzing through the whole local stack: generated requests of every kind against the BFF (through
// the web front, /api/…) and the generator API (SigV4-signed, through the API Gateway stand-in).
// Every answer is a 2xx or a 4xx problem+json with a stable code; at the end nothing was written
// for a rejected request and the stack still answers.
//   FUZZ_RUNS   requests in all (default 1000; `node tools/scripts/fuzz.mjs` runs 10,000)
//   FUZZ_SEED   replays a run (printed at the start and on a failure)
//   FUZZ_SHRINK=1  shrinks a failing request to a smaller one (off: the first failure is reported as is)

const RUNS = positiveInt(process.env['FUZZ_RUNS'], 1000);
const SEED = process.env['FUZZ_SEED']
  ? Number(process.env['FUZZ_SEED'])
  : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
const SHRINK = process.env['FUZZ_SHRINK'] === '1';
/**
 * The BFF's per-address rate limit (its default unless this run raised it): every test of the
 * suite comes from 127.0.0.1, so the BFF's share stays well inside it and leaves the rest to the
 * other specs; the generator API (no rate limit of its own locally) takes the remainder.
 */
const PER_IP_LIMIT = positiveInt(process.env['RATE_LIMIT_PER_IP'], 600);
const BFF_RUNS = Math.min(Math.ceil(RUNS / 2), Math.floor(PER_IP_LIMIT * 0.4));
const GENERATOR_RUNS = RUNS - BFF_RUNS;
const TIMEOUT_MS = 180_000 + RUNS * 200;

const endpoints = {
  app: APP_URL,
  apiGateway: `http://127.0.0.1:${E2E_PORTS.LOCAL_APIGW_PORT}`,
  stage: 'prod', // the template's stage (GENERATOR_STAGE in infra)
  s3: S3_ORIGIN,
};
const replay = `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}${process.env['RATE_LIMIT_PER_IP'] ? ` RATE_LIMIT_PER_IP=${PER_IP_LIMIT}` : ''}`;
let ledger: FuzzLedger;
const started = Date.now();
const failures: string[] = [];

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return raw && Number.isInteger(n) && n > 0 ? n : fallback;
}

beforeAll(async () => {
  process.stdout.write(
    `fuzz: seed ${SEED}, numRuns ${RUNS} (generator API ${GENERATOR_RUNS}, BFF ${BFF_RUNS}); replay with ${replay}\n`,
  );
  ledger = new FuzzLedger(endpoints, SEED);
  await ledger.setUp();
});

afterAll(() => {
  if (!ledger) return;
  const summary = {
    seed: SEED,
    numRuns: RUNS,
    runs: { generator: GENERATOR_RUNS, bff: BFF_RUNS },
    requests: ledger.requests,
    owners: ledger.owners,
    jobsCreated: ledger.created,
    jobsDeleted: ledger.deleted,
    statuses: Object.fromEntries([...ledger.histogram].sort(([a], [b]) => a.localeCompare(b))),
    codes: Object.fromEntries([...ledger.codes].sort(([a], [b]) => a.localeCompare(b))),
    wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    failures,
  };
  writeFileSync(join(ARTIFACTS, 'fuzz-summary.json'), JSON.stringify(summary, null, 2));
  process.stdout.write(
    `fuzz: ${summary.requests} requests, seed ${SEED}, ${summary.jobsCreated} jobs made, ${summary.wallSeconds} s, statuses ${JSON.stringify(summary.statuses)}\n`,
  );
});

/** The last exchanges before a failure: the stack keeps state (connections, jobs, limits) from one to the next. */
const recent: string[] = [];

/** Sends one generated request and holds its answer to the rule. */
async function exchange(req: FuzzRequest): Promise<void> {
  const raw = await ledger.toRaw(req);
  let res;
  try {
    res = await sendRaw(raw);
  } catch (err) {
    throw new Error(withRecent(describeExchange(raw, undefined, `no answer (${(err as Error).message})`)));
  }
  ledger.record(req, raw, res);
  const why = ruleBroken(raw.method, res, req.target === 'generator' ? 'api-gateway' : 'app');
  if (why) throw new Error(withRecent(describeExchange(raw, res, why)));
  recent.push(
    `${raw.method} ${raw.path.slice(0, 120)} (${raw.body?.length ?? 0} bytes${raw.chunked ? ', chunked' : ''}) → ${res.status}`,
  );
  if (recent.length > 3) recent.shift();
}

function withRecent(message: string): string {
  return `${message}\nbefore:   ${recent.join('\n          ') || '(nothing)'}`;
}

async function fuzz(target: Target, numRuns: number): Promise<void> {
  const before = ledger.requests;
  try {
    await fc.assert(fc.asyncProperty(fuzzRequest(target), exchange), {
      seed: SEED,
      numRuns,
      endOnFailure: !SHRINK,
    });
    // (every generated request was sent and answered: none was skipped)
    expect(ledger.requests - before).toBe(numRuns);
  } catch (err) {
    // fast-check's message names the seed, the path and the generated request; its cause, the exchange.
    const cause = (err as Error).cause instanceof Error ? `\n${((err as Error).cause as Error).message}` : '';
    const message = `fuzzing the ${target} failed (seed ${SEED}, numRuns ${numRuns}); replay with ${replay}${cause}\n${(err as Error).message}`;
    failures.push(message);
    throw new Error(message);
  }
}

describe('fuzzing through the local stack', () => {
  it(
    'answers every generated generator API request with a 2xx or a 4xx problem+json with a stable code',
    // GIVEN signed requests of every kind, as fuzz owners  WHEN each is sent  THEN each answer keeps the rule
    () => fuzz('generator', GENERATOR_RUNS),
    TIMEOUT_MS,
  );

  it(
    'answers every generated BFF request with a 2xx or a 4xx problem+json with a stable code',
    // GIVEN browser requests of every kind, with the run's cookies, none or forged ones  WHEN sent  THEN each answer keeps the rule
    () => fuzz('bff', BFF_RUNS),
    TIMEOUT_MS,
  );

  it(
    'wrote no job and no object for a rejected request, and the stack still answers',
    async () => {
      // GIVEN the jobs the 2xx answers made have ended
      await ledger.settle();
      // THEN each owner of the run has exactly those jobs (minus the ones deleted), and objects of those only
      const problems = await ledger.audit();
      if (problems.length) failures.push(...problems);
      expect(problems).toEqual([]);
      // AND the stack did not crash
      expect((await fetch(`${APP_URL}/api/ready`)).status).toBe(200);
      expect((await fetch(`${S3_ORIGIN}/__stats`)).status).toBe(200);
    },
    TIMEOUT_MS,
  );
});
