import {
  BucketModel,
  CloudModel,
  LambdaFunctionModel,
  RestApiModel,
  RolePolicies,
  TableModel,
} from '@imagegen/local-cloud/util-template';

/** The template's resources the local cloud runs, found the way they find each other in AWS. */
export interface LocalTopology {
  /** The REST API whose methods call the API function. */
  readonly api: RestApiModel;
  /** The function the REST API's methods integrate (it names the worker it invokes). */
  readonly apiFunction: LambdaFunctionModel;
  /** The function the API function invokes (its WORKER_FUNCTION_NAME). */
  readonly worker: LambdaFunctionModel;
  /** The worker's on-failure destination (its EventInvokeConfig), if it has one. */
  readonly onFailure?: LambdaFunctionModel;
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
 * else by what the template wires to it (its API, its environment's names, the worker's destination).
 */
export function localTopology(model: CloudModel): LocalTopology {
  // The API function: the one the REST API's methods integrate, which names the worker it invokes.
  const integrated = new Set(
    model.restApis.flatMap((a) => a.methods.map((m) => m.integration?.functionLogicalId)),
  );
  const apiFunction = required(
    model.functions.find((f) => integrated.has(f.logicalId) && f.environment['WORKER_FUNCTION_NAME']),
    'function behind the REST API that names a WORKER_FUNCTION_NAME',
  );
  const env = apiFunction.environment;
  const api = required(
    model.restApis.find((a) =>
      a.methods.some((m) => m.integration?.functionLogicalId === apiFunction.logicalId),
    ),
    `REST API method integrating ${apiFunction.logicalId}`,
  );
  const worker = required(
    model.functions.find((f) => f.functionName === env['WORKER_FUNCTION_NAME']),
    `function named ${env['WORKER_FUNCTION_NAME']} (the API's WORKER_FUNCTION_NAME)`,
  );
  const onFailureArn = worker.asyncConfig?.onFailure;
  const onFailure = onFailureArn ? model.functions.find((f) => f.arn === onFailureArn) : undefined;
  if (onFailureArn && !onFailure)
    throw new TemplateTopologyError(
      `the worker's on-failure destination ${onFailureArn} is not a function of the template`,
    );
  return {
    api,
    apiFunction,
    worker,
    ...(onFailure ? { onFailure } : {}),
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
 * the on-failure destination's roles (their `Role`), and the BFF task role (the role allowed to invoke
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
      ? roleByArn(model, topology.onFailure.roleArn, 'the on-failure destination')
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
