// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for two untyped local servers
/// <reference path="../vendor.d.ts" />
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { request as httpRequest, IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

import {
  BodyTooLargeError,
  listen,
  objectPatchProblems,
  parseJson,
  readBody,
  refuseBrowserAdmin,
  RunningServer,
  sendJson,
  sleep,
} from '@imagegen/local-cloud/util-http';
import { accessDeniedMessage, Authorizer, dynamodbCalls } from '@imagegen/local-cloud/util-iam';
import { VerifyFailure, verifySigV4 } from '@imagegen/shared/util-sigv4';

import { Gate, storeCaller, transactWrite } from './dynamodb-transactions';

export interface DynamoStandInOptions {
  readonly port: number;
  readonly host?: string;
  /** Keep data here across restarts (in memory when absent). */
  readonly dataDir?: string;
  readonly tableName: string;
  /** The table as the template defines it (keys, attribute types, indexes, TTL attribute). */
  readonly table: DynamoTableDefinition;
  readonly region: string;
  /** Requests must be SigV4-signed (service `dynamodb`) with these, as in AWS. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * IAM enforcement: every signed request is authorized as the principal of its access key; a refusal
   * is DynamoDB's 400 AccessDeniedException. Without it, any request signed with `credentials` is allowed.
   */
  readonly authorizer?: Authorizer;
}

/** A table's shape, as AWS::DynamoDB::Table gives it. */
export interface DynamoTableDefinition {
  readonly keySchema: readonly { readonly AttributeName: string; readonly KeyType: 'HASH' | 'RANGE' }[];
  readonly attributeDefinitions: readonly {
    readonly AttributeName: string;
    readonly AttributeType: 'S' | 'N' | 'B';
  }[];
  readonly globalSecondaryIndexes?: readonly DynamoIndexDefinition[];
  readonly localSecondaryIndexes?: readonly DynamoIndexDefinition[];
  /** The attribute TTL reads (epoch seconds); absent: the table has no TTL. */
  readonly timeToLiveAttribute?: string;
}

export interface DynamoIndexDefinition {
  readonly IndexName: string;
  readonly KeySchema: readonly { readonly AttributeName: string; readonly KeyType: 'HASH' | 'RANGE' }[];
  readonly Projection: { readonly ProjectionType?: string; readonly NonKeyAttributes?: readonly string[] };
}

/** Fault injection (`POST /__faults`): every field optional; a POST changes only the fields it names. */
export interface DynamoFaults {
  /** Requests are answered 503 ServiceUnavailable (DynamoDB down). */
  readonly unavailable?: boolean;
  /** The next N requests are answered 500 InternalServerError (counts down). */
  readonly failNext?: number;
  /** Share of requests answered 500 InternalServerError (0..1). */
  readonly failRate?: number;
  /** Each request waits this many ms before it is answered (a slow DynamoDB), 0..60000. */
  readonly latencyMs?: number;
  /** Only these operations (e.g. `UpdateItem`, `PutItem`) get the faults above; all when empty. */
  readonly operations?: readonly string[];
}

export const NO_DYNAMO_FAULTS: Required<DynamoFaults> = {
  unavailable: false,
  failNext: 0,
  failRate: 0,
  latencyMs: 0,
  operations: [],
};

export interface DynamoStats {
  /** DynamoDB requests received (admin endpoints excluded). */
  readonly requests: number;
  /** Requests answered with an injected fault. */
  readonly faultsInjected: number;
  /** Requests per operation (GetItem, PutItem, UpdateItem, Query, …). */
  readonly operations: Readonly<Record<string, number>>;
}

export interface DynamoStandIn {
  readonly url: string;
  readonly port: number;
  setFaults(patch: DynamoFaults): void;
  faults(): Required<DynamoFaults>;
  stats(): DynamoStats;
  /** Zeroes the request counters. */
  resetStats(): void;
  close(): Promise<void>;
}

/** Problems of a fault patch (from JSON), in words naming the setting. */
export function dynamoFaultProblems(input: unknown): string[] {
  const problems = objectPatchProblems(input, Object.keys(NO_DYNAMO_FAULTS));
  if (problems.length) return problems;
  const f = input as Record<string, unknown>;
  if (f['unavailable'] !== undefined && typeof f['unavailable'] !== 'boolean')
    problems.push('unavailable must be true or false');
  const next = f['failNext'];
  if (next !== undefined && !(Number.isInteger(next) && (next as number) >= 0))
    problems.push('failNext must be a whole number ≥ 0');
  const rate = f['failRate'];
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1))
    problems.push('failRate must be a number from 0 to 1');
  const latency = f['latencyMs'];
  if (
    latency !== undefined &&
    !(Number.isInteger(latency) && (latency as number) >= 0 && (latency as number) <= 60_000)
  )
    problems.push('latencyMs must be a whole number of ms from 0 to 60000');
  const ops = f['operations'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.every((o) => typeof o === 'string')))
    problems.push('operations must be a list of operation names');
  return problems;
}

const AUTH_ERRORS: Readonly<Record<VerifyFailure, [string, string]>> = {
  missing: [
    'com.amazon.coral.service#MissingAuthenticationTokenException',
    'Request is missing Authentication Token',
  ],
  malformed: [
    'com.amazon.coral.service#IncompleteSignatureException',
    'The request signature does not conform to AWS standards.',
  ],
  'unknown-key': [
    'com.amazon.coral.service#UnrecognizedClientException',
    'The security token included in the request is invalid.',
  ],
  expired: ['com.amazon.coral.service#InvalidSignatureException', 'Signature expired.'],
  mismatch: [
    'com.amazon.coral.service#InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  ],
};

/** An error in DynamoDB's JSON wire format (the SDK names the exception after `__type`). */
function dynamoError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function sendDynamo(res: ServerResponse, status: number, payload: Record<string, unknown>): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

async function createTable(url: string, options: DynamoStandInOptions): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: url,
    region: options.region,
    credentials: options.credentials,
  });
  const t = options.table;
  const index = (i: DynamoIndexDefinition) => ({
    IndexName: i.IndexName,
    KeySchema: [...i.KeySchema],
    Projection: {
      ...(i.Projection.ProjectionType ? { ProjectionType: i.Projection.ProjectionType as 'ALL' } : {}),
      ...(i.Projection.NonKeyAttributes ? { NonKeyAttributes: [...i.Projection.NonKeyAttributes] } : {}),
    },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: options.tableName,
        AttributeDefinitions: [...t.attributeDefinitions],
        KeySchema: [...t.keySchema],
        ...(t.globalSecondaryIndexes?.length
          ? { GlobalSecondaryIndexes: t.globalSecondaryIndexes.map(index) }
          : {}),
        ...(t.localSecondaryIndexes?.length
          ? { LocalSecondaryIndexes: t.localSecondaryIndexes.map(index) }
          : {}),
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    if (t.timeToLiveAttribute)
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: options.tableName,
            TimeToLiveSpecification: { AttributeName: t.timeToLiveAttribute, Enabled: true },
          }),
        )
        .catch(() => undefined);
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // A table kept from an earlier run must still have the template's keys: a changed key schema is a new table in AWS too.
  const described = await client.send(new DescribeTableCommand({ TableName: options.tableName }));
  client.destroy();
  const keys = (k: readonly { AttributeName?: string; KeyType?: string }[] = []) =>
    k.map((e) => `${e.AttributeName}:${e.KeyType}`).join(',');
  if (keys(described.Table?.KeySchema) !== keys(t.keySchema))
    throw new Error(
      `the table ${options.tableName} kept in the data folder has keys ${keys(described.Table?.KeySchema)}, the template says ${keys(t.keySchema)}: delete the data folder's dynamodb/ to start anew`,
    );
}

/**
 * DynamoDB on loopback: dynalite with the table the template defines (keys, indexes; TTL on its
 * attribute) made at start, behind a front that verifies SigV4 as DynamoDB does and injects faults in DynamoDB's
 * error shape. Admin: `GET|POST /__faults`, `GET /__stats`, `POST /__stats/reset`.
 * Expired items are removed by the retention sweeper (dynalite has no TTL of its own).
 */
export async function startDynamoStandIn(options: DynamoStandInOptions): Promise<DynamoStandIn> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const store: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    store.once('error', reject);
    store.listen(0, '127.0.0.1', () => resolve());
  });
  const storePort = (store.address() as { port: number }).port;
  const closeStore = () =>
    new Promise<void>((resolve) => {
      store.close(() => resolve());
      (store as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  try {
    await createTable(`http://127.0.0.1:${storePort}`, options);
  } catch (err) {
    await closeStore();
    throw err;
  }

  const { accessKeyId, secretAccessKey } = options.credentials;
  const { authorizer } = options;
  let faults: Required<DynamoFaults> = { ...NO_DYNAMO_FAULTS };
  const gate = new Gate();
  let requests = 0;
  let faultsInjected = 0;
  let operations: Record<string, number> = {};
  const stats = (): DynamoStats => ({ requests, faultsInjected, operations: { ...operations } });
  const resetStats = () => {
    requests = 0;
    faultsInjected = 0;
    operations = {};
  };
  const setFaults = (patch: DynamoFaults) => {
    const problems = dynamoFaultProblems(patch);
    if (problems.length) throw new Error(problems.join('; '));
    faults = { ...faults, ...patch };
  };

  function admin(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): void {
    if (refuseBrowserAdmin(req, res)) return;
    const route = `${req.method} ${path}`;
    if (route === 'GET /__faults') return sendJson(res, 200, faults);
    if (route === 'GET /__stats') return sendJson(res, 200, stats());
    if (route === 'POST /__stats/reset') {
      resetStats();
      return sendJson(res, 200, stats());
    }
    if (route === 'POST /__faults') {
      const patch = parseJson(body);
      if (!patch.ok) return sendJson(res, 400, { message: 'faults must be JSON' });
      try {
        setFaults(patch.value as DynamoFaults);
      } catch (err) {
        return sendJson(res, 400, { message: (err as Error).message });
      }
      return sendJson(res, 200, faults);
    }
    sendJson(res, 404, { message: `no admin endpoint ${route.slice(0, 100)}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let body: Buffer;
    try {
      body = await readBody(req, 16 * 1024 * 1024);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return dynamoError(
          res,
          413,
          'com.amazon.coral.service#RequestEntityTooLarge',
          'Request must be smaller than 16777216 bytes.',
        );
      throw err;
    }
    if (path.startsWith('/__')) return admin(req, res, path, body);

    const operation =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    requests++;
    operations[operation] = (operations[operation] ?? 0) + 1;
    const targeted = faults.operations.length === 0 || faults.operations.includes(operation);
    if (targeted && faults.unavailable) {
      faultsInjected++;
      return dynamoError(
        res,
        503,
        'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
        'The service is currently unavailable or busy.',
      );
    }
    const verdict = await verifySigV4(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
      {
        service: 'dynamodb',
        region: options.region,
        lookupSecret: (id) => authorizer?.secretFor(id) ?? (id === accessKeyId ? secretAccessKey : undefined),
      },
    );
    if (!verdict.ok) {
      const [type, message] = AUTH_ERRORS[verdict.reason];
      return dynamoError(res, 400, type, message);
    }
    if (authorizer?.secretFor(verdict.accessKeyId) !== undefined) {
      const parsed = parseJson(body);
      const check = authorizer.check(
        verdict.accessKeyId,
        dynamodbCalls(String(req.headers['x-amz-target'] ?? ''), parsed.ok ? parsed.value : {}, {
          region: options.region,
          account: authorizer.account,
          partitionKey: options.table.keySchema.find((k) => k.KeyType === 'HASH')?.AttributeName,
        }),
      );
      if (!check.allowed)
        return dynamoError(
          res,
          400,
          'com.amazon.coral.service#AccessDeniedException',
          accessDeniedMessage(check),
        );
    }
    if (targeted && faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (targeted) {
      const failNext = faults.failNext > 0;
      if (failNext) faults = { ...faults, failNext: faults.failNext - 1 };
      if (failNext || Math.random() < faults.failRate) {
        faultsInjected++;
        return dynamoError(
          res,
          500,
          'com.amazonaws.dynamodb.v20120810#InternalServerError',
          'Internal server error',
        );
      }
    }
    if (operation === 'TransactWriteItems') {
      const parsed = parseJson(body);
      const keyNames = options.table.keySchema.map((k) => k.AttributeName);
      const answer = await gate.run(true, () =>
        transactWrite(parsed.ok ? parsed.value : {}, keyNames, storeCaller(storePort, req.headers)),
      );
      return sendDynamo(res, answer.status, answer.body);
    }
    // Plain requests share the gate: none runs while a transaction is half applied.
    await gate.run(false, () => proxy(req, res, body));
  }

  function proxy(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    return new Promise<void>((done) => {
      res.once('close', () => done());
      res.once('finish', () => done());
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: storePort,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `127.0.0.1:${storePort}`, 'content-length': String(body.length) },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () =>
        res.headersSent
          ? res.destroy()
          : dynamoError(
              res,
              503,
              'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
              'The service is currently unavailable or busy.',
            ),
      );
      upstream.end(body);
    });
  }

  let front: RunningServer;
  try {
    front = await listen(
      (req, res) => {
        handle(req, res).catch(() => {
          if (!res.headersSent)
            dynamoError(
              res,
              500,
              'com.amazonaws.dynamodb.v20120810#InternalServerError',
              'Internal server error',
            );
        });
      },
      options.port,
      'DynamoDB stand-in',
      options.host,
    );
  } catch (err) {
    await closeStore();
    throw err;
  }

  return {
    url: front.url,
    port: front.port,
    setFaults,
    faults: () => faults,
    stats,
    resetStats,
    close: async () => {
      await front.close();
      await closeStore();
    },
  };
}
