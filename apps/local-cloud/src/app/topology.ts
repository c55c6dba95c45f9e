import {
  BucketModel,
  CloudModel,
  EventSourceMappingModel,
  LambdaFunctionModel,
  QueueModel,
  RestApiModel,
  RolePolicies,
  TableModel,
} from '@imagegen/local-cloud/util-template';

/** The template's resources the local cloud runs, found the way they find each other in AWS. */
export interface LocalTopology {
  /** The REST API whose methods call the API function. */
  readonly api: RestApiModel;
  /** The function the REST API's methods integrate (it names the worker queue it sends to). */
  readonly apiFunction: LambdaFunctionModel;
  /** The queue the API function sends to (its WORKER_QUEUE_URL). */
  readonly workerQueue: QueueModel;
  /** The function an SQS event source mapping on the worker queue invokes, and that mapping. */
  readonly worker: LambdaFunctionModel;
  readonly workerMapping: EventSourceMappingModel;
  /** The worker queue's dead-letter queue (its RedrivePolicy), if it has one. */
  readonly deadLetterQueue?: QueueModel;
  /** The function whose mapping consumes the dead-letter queue (it settles abandoned images), and that mapping. */
  readonly onFailure?: LambdaFunctionModel;
  readonly onFailureMapping?: EventSourceMappingModel;
  /** The table and bucket the generator's environment names (GENERATIONS_TABLE, IMAGES_BUCKET). */
  readonly table: TableModel;
  readonly bucket: BucketModel;
}

export class TemplateTopologyError extends Error {
  override readonly name = 'TemplateTopologyError';
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TemplateTopologyError(`the synthesized template has no ${what}`);
  return value;
}

/**
 * Finds in the model what the local cloud runs: the API function behind the REST API, and everything
 * else by what the template wires to it (its API, its environment's names, the event source mapping
 * on the worker queue, the queue's dead-letter queue and the mapping that consumes it).
 */
export function localTopology(model: CloudModel): LocalTopology {
  // The API function: the one the REST API's methods integrate, which names the worker queue it sends to.
  const integrated = new Set(
    model.restApis.flatMap((a) => a.methods.map((m) => m.integration?.functionLogicalId)),
  );
  const apiFunction = required(
    model.functions.find((f) => integrated.has(f.logicalId) && f.environment['WORKER_QUEUE_URL']),
    'function behind the REST API that names a WORKER_QUEUE_URL',
  );
  const env = apiFunction.environment;
  const api = required(
    model.restApis.find((a) =>
      a.methods.some((m) => m.integration?.functionLogicalId === apiFunction.logicalId),
    ),
    `REST API method integrating ${apiFunction.logicalId}`,
  );
  const workerQueue = required(
    model.queues.find((q) => q.queueUrl === env['WORKER_QUEUE_URL']),
    `queue with the URL ${env['WORKER_QUEUE_URL']} (the API's WORKER_QUEUE_URL)`,
  );
  /** The enabled SQS event source mapping on a queue, and its function. */
  const consumerOf = (queue: QueueModel) => {
    for (const f of model.functions) {
      const mapping = f.eventSources.find((m) => m.enabled && m.eventSourceArn === queue.arn);
      if (mapping) return { fn: f, mapping };
    }
    return undefined;
  };
  const consumer = required(
    consumerOf(workerQueue),
    `enabled event source mapping on ${workerQueue.arn} (the worker queue)`,
  );
  const dlqArn = workerQueue.redrive?.deadLetterTargetArn;
  const deadLetterQueue = dlqArn ? model.queues.find((q) => q.arn === dlqArn) : undefined;
  if (dlqArn && !deadLetterQueue)
    throw new TemplateTopologyError(
      `the worker queue's dead-letter queue ${dlqArn} is not a queue of the template`,
    );
  const abandoned = deadLetterQueue ? consumerOf(deadLetterQueue) : undefined;
  return {
    api,
    apiFunction,
    workerQueue,
    worker: consumer.fn,
    workerMapping: consumer.mapping,
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
    ...(abandoned ? { onFailure: abandoned.fn, onFailureMapping: abandoned.mapping } : {}),
    table: required(
      model.tables.find((t) => t.tableName === env['GENERATIONS_TABLE']),
      `table named ${env['GENERATIONS_TABLE']} (the API's GENERATIONS_TABLE)`,
    ),
    bucket: required(
      model.buckets.find((b) => b.bucketName === env['IMAGES_BUCKET']),
      `bucket named ${env['IMAGES_BUCKET']} (the API's IMAGES_BUCKET)`,
    ),
  };
}

/** The days the bucket's lifecycle expires objects after (its first enabled rule with an expiration). */
export function lifecycleExpiration(bucket: BucketModel): { days: number; prefix: string } | undefined {
  const rule = bucket.lifecycle.find((r) => r.enabled && r.expirationInDays !== undefined);
  return rule?.expirationInDays === undefined
    ? undefined
    : { days: rule.expirationInDays, prefix: rule.prefix };
}

/** The statements of the template's role with this ARN (each function's `Role`, resolved). */
function roleByArn(model: CloudModel, arn: string | undefined, what: string): RolePolicies {
  return required(
    model.roles.find((r) => r.roleArn === arn),
    `role ${arn} of ${what}`,
  );
}

/**
 * Each local principal's statements as the template grants them: the API function's, the worker's and
 * the dead-letter consumer's roles (their `Role`), and the BFF task role (the role allowed to invoke
 * the REST API): what the local cloud enforces (ADR 0008).
 */
export function templateRolePolicies(
  model: CloudModel,
  topology: LocalTopology,
): Readonly<Record<'api' | 'worker' | 'abandoned' | 'bff', RolePolicies>> {
  const invokesApi = (r: RolePolicies) =>
    r.statements.some(
      (s) =>
        s.Effect === 'Allow' && [s.Action ?? []].flat().some((a) => a.toLowerCase() === 'execute-api:invoke'),
    );
  return {
    api: roleByArn(model, topology.apiFunction.roleArn, 'the API function'),
    worker: roleByArn(model, topology.worker.roleArn, 'the worker'),
    abandoned: topology.onFailure
      ? roleByArn(model, topology.onFailure.roleArn, 'the dead-letter queue consumer')
      : {
          roleLogicalId: 'None',
          roleName: 'none',
          roleArn: '',
          stackName: '',
          statements: [],
          managedPolicyArns: [],
        },
    bff: required(model.roles.find(invokesApi), 'role allowed execute-api:Invoke (the BFF task role)'),
  };
}
