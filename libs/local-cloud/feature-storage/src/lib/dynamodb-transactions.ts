import { request as httpRequest, IncomingHttpHeaders } from 'node:http';

/**
 * TransactWriteItems for the DynamoDB stand-in (dynalite has no transactions). AWS's contract
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html):
 * up to 100 actions (Put, Update, Delete, ConditionCheck), all applied or none; more than one action
 * on one item is a ValidationException; a condition not met cancels the whole transaction with
 * TransactionCanceledException, whose CancellationReasons list one entry per action in order
 * (`None`, or `ConditionalCheckFailed` with "The conditional request failed" and, with
 * ReturnValuesOnConditionCheckFailure ALL_OLD, the item) — see
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CancellationReason.html.
 *
 * Here a transaction runs alone (every other request waits, the `Gate`), each action is applied to
 * dynalite with its own condition, and the actions already applied are undone from the items they
 * replaced when any condition fails: all or nothing, and serializable as AWS's.
 */

export const MAX_TRANSACT_ITEMS = 100;

type AttributeMap = Record<string, unknown>;

export interface StoreAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One call to dynalite: the operation's JSON in, the answer's JSON out. */
export type StoreCall = (operation: string, body: AttributeMap) => Promise<StoreAnswer>;

/** A readers–writer gate: plain requests share it, a transaction holds it alone. */
export class Gate {
  private readers = 0;
  private writer = false;
  private readonly waiting: { exclusive: boolean; grant: () => void }[] = [];

  async run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((grant) => {
      this.waiting.push({ exclusive, grant });
      this.drain();
    });
    try {
      return await work();
    } finally {
      if (exclusive) this.writer = false;
      else this.readers--;
      this.drain();
    }
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      if (this.writer || (next.exclusive && this.readers > 0)) return;
      this.waiting.shift();
      if (next.exclusive) this.writer = true;
      else this.readers++;
      next.grant();
      if (next.exclusive) return;
    }
  }
}

/** Sends a DynamoDB JSON call to dynalite with the caller's (already verified) signature headers. */
export function storeCaller(port: number, headers: IncomingHttpHeaders): StoreCall {
  return (operation, body) =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          headers: {
            ...headers,
            host: `127.0.0.1:${port}`,
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            'content-type': 'application/x-amz-json-1.0',
            'content-length': String(payload.length),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              parsed = { message: text };
            }
            resolve({ status: res.statusCode ?? 500, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

const ACTIONS = ['Put', 'Update', 'Delete', 'ConditionCheck'] as const;
type ActionKind = (typeof ACTIONS)[number];

interface Action {
  readonly kind: ActionKind;
  readonly detail: AttributeMap;
  readonly table: string;
  readonly key: AttributeMap;
}

const validation = (message: string): StoreAnswer => ({
  status: 400,
  body: { __type: 'com.amazon.coral.validate#ValidationException', message },
});

function keyOf(item: AttributeMap, keyNames: readonly string[]): AttributeMap {
  return Object.fromEntries(keyNames.map((k) => [k, item[k]]));
}

function parseActions(body: unknown, keyNames: readonly string[]): Action[] | StoreAnswer {
  const items = (body as { TransactItems?: unknown } | undefined)?.TransactItems;
  if (!Array.isArray(items) || items.length === 0)
    return validation(
      "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
    );
  if (items.length > MAX_TRANSACT_ITEMS)
    return validation(
      `1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACT_ITEMS}`,
    );
  const actions: Action[] = [];
  for (const raw of items as Record<string, unknown>[]) {
    const kinds = ACTIONS.filter((k) => raw?.[k] !== undefined);
    if (kinds.length !== 1)
      return validation('TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0];
    const detail = raw[kind] as AttributeMap;
    const table = detail?.['TableName'];
    if (typeof table !== 'string') return validation('TableName must be given for every action');
    const key = kind === 'Put' ? keyOf((detail['Item'] ?? {}) as AttributeMap, keyNames) : detail['Key'];
    if (typeof key !== 'object' || key === null) return validation('the action has no key');
    actions.push({ kind, detail, table, key: key as AttributeMap });
  }
  const seen = new Set<string>();
  for (const a of actions) {
    const id = `${a.table}\u0000${JSON.stringify(keyNames.map((k) => a.key[k]))}`;
    if (seen.has(id)) return validation('Transaction request cannot include multiple operations on one item');
    seen.add(id);
  }
  return actions;
}

const isConditionFailure = (a: StoreAnswer) =>
  String(a.body['__type'] ?? '').endsWith('#ConditionalCheckFailedException');

/**
 * Runs a TransactWriteItems body against dynalite (the caller holds the gate alone). Answers what
 * DynamoDB answers: `{}`, a TransactionCanceledException with the reasons, or the action's own error.
 */
export async function transactWrite(
  body: unknown,
  keyNames: readonly string[],
  call: StoreCall,
): Promise<StoreAnswer> {
  const parsed = parseActions(body, keyNames);
  if (!Array.isArray(parsed)) return parsed;
  const undo: { table: string; key: AttributeMap; old?: AttributeMap }[] = [];
  const reasons: Record<string, unknown>[] = [];
  let failed: StoreAnswer | undefined;
  for (const action of parsed) {
    const { ReturnValuesOnConditionCheckFailure: returnOld, ...detail } = action.detail;
    // A ConditionCheck is an update that changes nothing but must meet its condition.
    const operation =
      action.kind === 'ConditionCheck'
        ? 'UpdateItem'
        : action.kind === 'Put'
          ? 'PutItem'
          : `${action.kind}Item`;
    // ALL_OLD: the item this action replaced, to undo it should another action's condition fail.
    const answer = await call(operation, { ...detail, ReturnValues: 'ALL_OLD' });
    if (isConditionFailure(answer)) {
      const old =
        returnOld === 'ALL_OLD'
          ? ((await call('GetItem', { TableName: action.table, Key: action.key, ConsistentRead: true })).body[
              'Item'
            ] as AttributeMap | undefined)
          : undefined;
      reasons.push({
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        ...(old ? { Item: old } : {}),
      });
      continue;
    }
    if (answer.status !== 200) {
      failed ??= answer;
      break;
    }
    const old = answer.body['Attributes'] as AttributeMap | undefined;
    reasons.push({ Code: 'None' });
    if (action.kind === 'ConditionCheck' && !old)
      await call('DeleteItem', { TableName: action.table, Key: action.key }); // checked, never written
    else undo.push({ table: action.table, key: action.key, ...(old ? { old } : {}) });
  }
  const cancelled = reasons.some((r) => r['Code'] !== 'None');
  if (!failed && !cancelled) return { status: 200, body: {} };
  for (const step of undo.reverse()) {
    await (step.old
      ? call('PutItem', { TableName: step.table, Item: step.old })
      : call('DeleteItem', { TableName: step.table, Key: step.key }));
  }
  if (failed) return failed;
  return {
    status: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r['Code']).join(', ')}]`,
      CancellationReasons: reasons,
    },
  };
}
