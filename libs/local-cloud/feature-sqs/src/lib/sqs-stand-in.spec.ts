import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

import { createAuthorizer, LOCAL_PRINCIPAL_KEYS, localPrincipals } from '@imagegen/local-cloud/util-iam';
import { sdkRefusal } from '@imagegen/local-cloud/util-iam/testing';

import { MAX_MESSAGE_BYTES, SqsStandIn, SqsStandInOptions, startSqsStandIn } from './sqs-stand-in';

// Through the real @aws-sdk/client-sqs (AWS JSON 1.0, SigV4, its MD5 checks of every body).
const REGION = 'us-west-2';
const ACCOUNT = '000000000000';
const ADMIN = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const DLQ_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:work-dlq`;
const QUEUES: SqsStandInOptions['queues'] = [
  {
    name: 'work',
    visibilityTimeoutSeconds: 60,
    redrive: { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 2 },
  },
  { name: 'work-dlq' },
];

let dir: string;
let sqs: SqsStandIn;
const start = (extra: Partial<SqsStandInOptions> = {}) =>
  startSqsStandIn({
    port: 0,
    region: REGION,
    account: ACCOUNT,
    queues: QUEUES,
    credentials: ADMIN,
    journalFile: join(dir, 'sqs.jsonl'),
    ...extra,
  });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-sqs-'));
  sqs = await start();
});
afterEach(async () => {
  await sqs.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = (credentials = ADMIN) =>
  new SQSClient({ region: REGION, endpoint: sqs.url, credentials, maxAttempts: 1 });
const url = (name = 'work') => sqs.queueUrl(name);
const receive = (name = 'work', extra: Record<string, unknown> = {}) =>
  client()
    .send(new ReceiveMessageCommand({ QueueUrl: url(name), MaxNumberOfMessages: 10, ...extra }))
    .then((r) => r.Messages ?? []);

describe('the SQS stand-in', () => {
  it('sends, receives (hidden for the visibility timeout) and deletes a message, as the SDK expects', async () => {
    const sent = await client().send(new SendMessageCommand({ QueueUrl: url(), MessageBody: '{"job":1}' }));
    expect(sent.MessageId).toBeDefined();
    const [m] = await receive();
    expect(m).toMatchObject({ MessageId: sent.MessageId, Body: '{"job":1}' });
    expect(m.Attributes?.['ApproximateReceiveCount']).toBe('1');
    // in flight: nobody else receives it, and the queue says so
    expect(await receive()).toEqual([]);
    const attrs = await client().send(
      new GetQueueAttributesCommand({ QueueUrl: url(), AttributeNames: ['All'] }),
    );
    expect(attrs.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      VisibilityTimeout: '60',
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:work`,
    });
    await client().send(new DeleteMessageCommand({ QueueUrl: url(), ReceiptHandle: m.ReceiptHandle }));
    expect(sqs.depth('work')).toEqual({ visible: 0, inFlight: 0 });
  });

  it('delivers a message again once its visibility ends, counting receives, and only the latest receipt deletes it', async () => {
    await client().send(new SendMessageCommand({ QueueUrl: url(), MessageBody: 'again' }));
    const [first] = await receive();
    await client().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url(),
        ReceiptHandle: first.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [second] = await receive();
    expect(second.Attributes?.['ApproximateReceiveCount']).toBe('2');
    // the old receipt succeeds but deletes nothing (SQS DeleteMessage reference)
    await client().send(new DeleteMessageCommand({ QueueUrl: url(), ReceiptHandle: first.ReceiptHandle }));
    expect(sqs.depth('work')).toEqual({ visible: 0, inFlight: 1 });
    await client().send(new DeleteMessageCommand({ QueueUrl: url(), ReceiptHandle: second.ReceiptHandle }));
    expect(sqs.depth('work')).toEqual({ visible: 0, inFlight: 0 });
  });

  it('moves a message past maxReceiveCount to the dead-letter queue instead of delivering it again', async () => {
    await client().send(new SendMessageCommand({ QueueUrl: url(), MessageBody: 'poison' }));
    for (let i = 0; i < 2; i++) {
      const [m] = await receive('work', { VisibilityTimeout: 0 });
      expect(m.Body).toBe('poison');
    }
    expect(await receive()).toEqual([]);
    const [dead] = await receive('work-dlq');
    expect(dead.Body).toBe('poison');
    expect(sqs.stats('work-dlq').movedIn).toBe(1);
  });

  it('refuses a body over 1 MiB, an empty body and an unknown queue, with the SQS error codes', async () => {
    expect(
      await sdkRefusal(
        client().send(
          new SendMessageCommand({ QueueUrl: url(), MessageBody: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidParameterValue',
      status: 400,
      message: expect.stringContaining('1048576 bytes'),
    });
    // exactly the limit is taken
    await client().send(
      new SendMessageCommand({ QueueUrl: url(), MessageBody: 'y'.repeat(MAX_MESSAGE_BYTES) }),
    );
    expect(
      await sdkRefusal(client().send(new SendMessageCommand({ QueueUrl: url(), MessageBody: '' }))),
    ).toMatchObject({
      name: 'InvalidParameterValue',
    });
    expect(
      await sdkRefusal(
        client().send(new SendMessageCommand({ QueueUrl: `${sqs.url}/${ACCOUNT}/nope`, MessageBody: 'x' })),
      ),
    ).toMatchObject({ name: 'QueueDoesNotExist', status: 400 });
    expect(
      await sdkRefusal(
        client().send(new ReceiveMessageCommand({ QueueUrl: url(), MaxNumberOfMessages: 11 })),
      ),
    ).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('sends a batch of up to 10', async () => {
    const out = await client().send(
      new SendMessageBatchCommand({
        QueueUrl: url(),
        Entries: [
          { Id: 'a', MessageBody: '1' },
          { Id: 'b', MessageBody: '2' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    expect(sqs.depth('work').visible).toBe(2);
  });

  it('refuses a wrong signature', async () => {
    expect(
      await sdkRefusal(
        client({ ...ADMIN, secretAccessKey: 'wrong' }).send(
          new SendMessageCommand({ QueueUrl: url(), MessageBody: 'x' }),
        ),
      ),
    ).toMatchObject({ status: 403 });
  });

  it('loses no message across a restart; one in flight when the process died is delivered again at once', async () => {
    await client().send(new SendMessageCommand({ QueueUrl: url(), MessageBody: 'kept' }));
    await client().send(new SendMessageCommand({ QueueUrl: url(), MessageBody: 'held' }));
    const held = (await receive('work', { MaxNumberOfMessages: 1 }))[0];
    await sqs.close();
    sqs = await start();
    const again = await receive();
    expect(again.map((m) => m.Body).sort()).toEqual(['held', 'kept']);
    // the one received before the restart counts that receive too
    expect(again.find((m) => m.Body === held.Body)?.Attributes?.['ApproximateReceiveCount']).toBe('2');
    expect(again.find((m) => m.Body !== held.Body)?.Attributes?.['ApproximateReceiveCount']).toBe('1');
  });

  it('authorizes each call as the caller’s role: sqs:SendMessage on the queue ARN, AccessDenied otherwise', async () => {
    await sqs.close();
    const authorizer = createAuthorizer({
      principals: localPrincipals({
        api: {
          roleLogicalId: 'ApiRole',
          roleName: 'imagegen-ApiRole',
          statements: [
            { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:work` },
          ],
        },
      }),
      trusted: [ADMIN],
    });
    sqs = await start({ authorizer });
    const api = client(LOCAL_PRINCIPAL_KEYS.api);
    await api.send(new SendMessageCommand({ QueueUrl: url(), MessageBody: 'ok' }));
    expect(
      await sdkRefusal(api.send(new SendMessageCommand({ QueueUrl: url('work-dlq'), MessageBody: 'no' }))),
    ).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: expect.stringContaining(
        'is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-west-2:000000000000:work-dlq',
      ),
    });
    expect(await sdkRefusal(api.send(new ReceiveMessageCommand({ QueueUrl: url() })))).toMatchObject({
      name: 'AccessDenied',
    });
  });
});
