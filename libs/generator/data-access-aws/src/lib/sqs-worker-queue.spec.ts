import { createHash } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { createSqsClient } from './aws-clients';
import { SqsWorkerQueue } from './sqs-worker-queue';

// What the API sends SQS for an image: checked on the wire, as @aws-sdk/client-sqs sends it.
interface Seen {
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

let server: Server;
let url: string;
const seen: Seen[] = [];
let answer: (body: Record<string, unknown>) => {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      seen.push({ headers: req.headers, body });
      const out = answer(body);
      res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.0', ...out.headers });
      res.end(JSON.stringify(out.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // As the local cloud sets it: the SDK's endpoint and the queue URL's host are the same.
  process.env['AWS_ENDPOINT_URL_SQS'] = url;
});
afterAll(() => {
  delete process.env['AWS_ENDPOINT_URL_SQS'];
  return new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen.length = 0;
  answer = (body) => ({
    status: 200,
    json: {
      MessageId: 'm-1',
      MD5OfMessageBody: createHash('md5').update(String(body['MessageBody'])).digest('hex'),
    },
  });
});

const queue = () => {
  const client = createSqsClient({
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'secret' },
  });
  const queueUrl = `${url}/000000000000/worker`;
  return { sender: new SqsWorkerQueue(client, queueUrl), queueUrl };
};

describe(SqsWorkerQueue.name, () => {
  it('sends one SendMessage (AWS JSON 1.0, SigV4) with the job reference alone as its body', async () => {
    const { sender, queueUrl } = queue();
    await sender.invoke({
      ownerId: 'anon-1',
      generationId: 'g-1',
      requestId: 'r-1',
      index: 2,
      ...({ prompt: 'never on the queue' } as object),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    expect(seen[0].headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(seen[0].headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-west-2\/sqs\//,
    );
    expect(seen[0].body['QueueUrl']).toBe(queueUrl);
    expect(JSON.parse(String(seen[0].body['MessageBody']))).toEqual({
      ownerId: 'anon-1',
      generationId: 'g-1',
      requestId: 'r-1',
      index: 2,
    });
  });

  it('fails when SQS refuses the message (the job is then settled failed by the caller)', async () => {
    answer = () => ({
      status: 400,
      json: { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' },
      headers: { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' },
    });
    await expect(
      queue().sender.invoke({ ownerId: 'anon-1', generationId: 'g', requestId: 'r' }),
    ).rejects.toThrow('The specified queue does not exist.');
  });
});
