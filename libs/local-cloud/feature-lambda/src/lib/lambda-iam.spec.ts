import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

import { createAuthorizer, LOCAL_PRINCIPAL_KEYS, localPrincipals } from '@imagegen/local-cloud/util-iam';
import { sdkRefusal } from '@imagegen/local-cloud/util-iam/testing';

import { LambdaStandIn, startLambdaStandIn } from './lambda-stand-in';

const REGION = 'us-west-2';
const ADMIN = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const WORKER_ARN = 'arn:aws:lambda:us-west-2:000000000000:function:worker';
const authorizer = createAuthorizer({
  principals: localPrincipals({
    api: {
      roleLogicalId: 'ApiRole',
      roleName: 'imagegen-ApiRole',
      statements: [
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [WORKER_ARN, `${WORKER_ARN}:*`] },
      ],
    },
    bff: { roleLogicalId: 'BffRole', roleName: 'imagegen-BffRole', statements: [] },
  }),
  trusted: [ADMIN],
});
let sut: LambdaStandIn;
const seen: unknown[] = [];

beforeAll(async () => {
  sut = await startLambdaStandIn({
    port: 0,
    functions: { worker: async (e) => void seen.push(e), other: async () => 'other' },
    concurrency: 1,
    region: REGION,
    credentials: ADMIN,
    authorizer,
  });
});
afterAll(() => sut.close());

const client = (credentials = LOCAL_PRINCIPAL_KEYS.api, endpoint = sut.url) =>
  new LambdaClient({ region: REGION, endpoint, credentials, maxAttempts: 1 });

describe('the Lambda stand-in with an authorizer', () => {
  it('invokes a function the role may invoke, unqualified or qualified', async () => {
    const out = await client().send(
      new InvokeCommand({
        FunctionName: 'worker',
        InvocationType: 'Event',
        Payload: new TextEncoder().encode('{"i":1}'),
      }),
    );
    expect(out.StatusCode).toBe(202);
    await sut.idle();
    expect(seen).toEqual([{ i: 1 }]);
    const sync = await client().send(new InvokeCommand({ FunctionName: 'worker', Qualifier: '$LATEST' }));
    expect(sync.StatusCode).toBe(200);
  });

  it('refuses lambda:InvokeFunction with 403 AccessDeniedException naming the function ARN', async () => {
    const ran = seen.length;
    expect(await sdkRefusal(client().send(new InvokeCommand({ FunctionName: 'other' })))).toEqual({
      name: 'AccessDeniedException',
      status: 403,
      message:
        'User: arn:aws:sts::000000000000:assumed-role/imagegen-ApiRole/api is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-west-2:000000000000:function:other because no identity-based policy allows the lambda:InvokeFunction action',
    });
    expect(
      await sdkRefusal(
        client(LOCAL_PRINCIPAL_KEYS.bff).send(
          new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event' }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(seen).toHaveLength(ran);
  });

  it('still lets the trusted key in', async () => {
    expect((await client(ADMIN).send(new InvokeCommand({ FunctionName: 'other' }))).StatusCode).toBe(200);
  });

  it('delivers to the on-failure destination only when the failed function’s role may invoke it', async () => {
    const delivered: unknown[] = [];
    const errors: string[] = [];
    const start = (invokedAs: string) =>
      startLambdaStandIn({
        port: 0,
        functions: { worker: () => Promise.reject(new Error('model down')) },
        concurrency: 1,
        region: REGION,
        credentials: ADMIN,
        authorizer,
        retry: { retries: 0, delaysMs: [1] },
        onFailure: (_n, e) => void delivered.push(e),
        onFailureDestination: { functionName: 'abandoned', invokedAsKeyId: invokedAs },
        log: { error: (_d, m) => void errors.push(m) },
      });
    // The API role may invoke only the worker: its deliveries to `abandoned` are refused, then dropped.
    const refused = await start(LOCAL_PRINCIPAL_KEYS.api.accessKeyId);
    await client(LOCAL_PRINCIPAL_KEYS.api, refused.url).send(
      new InvokeCommand({
        FunctionName: 'worker',
        InvocationType: 'Event',
        Payload: new TextEncoder().encode('{"n":1}'),
      }),
    );
    await refused.close();
    expect(delivered).toEqual([]);
    expect(errors).toEqual(['the on-failure destination failed; the event is dropped']);
    // A trusted (non-role) key is not checked: the delivery happens.
    const allowed = await start(ADMIN.accessKeyId);
    await client(ADMIN, allowed.url).send(
      new InvokeCommand({
        FunctionName: 'worker',
        InvocationType: 'Event',
        Payload: new TextEncoder().encode('{"n":2}'),
      }),
    );
    await allowed.close();
    expect(delivered).toEqual([{ n: 2 }]);
  });
});
