import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import {
  ErrorCode,
  findModel,
  ModelCatalogEntry,
  NormalizedGenerateImageRequest,
  ProblemError,
} from '@imagegen/contracts';

import { createAwsClients } from './aws-clients';
import { BedrockImageModel } from './bedrock-image-model';

const CORE = findModel('stability.stable-image-core-v1:1') as ModelCatalogEntry;
const REQUEST: NormalizedGenerateImageRequest = {
  modelId: CORE.id,
  prompt: 'a cat',
  aspectRatio: '1:1',
  count: 1,
  outputFormat: 'png',
};

let hanging: Server;
let calls = 0;

beforeAll(async () => {
  // A "model" that reads the request and never answers.
  hanging = createServer((req) => {
    calls++;
    req.resume();
  });
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] =
    `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  process.env['AWS_ACCESS_KEY_ID'] = 'LOCALACCESSKEY0000000';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test-secret';
});

afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise((r) => hanging.close(r));
});

describe(createAwsClients.name, () => {
  it('cuts an InvokeModel attempt that hangs past BEDROCK_TIMEOUT_MS and reports MODEL_TIMEOUT after the attempts', async () => {
    // GIVEN the clients as the generator builds them: 1 s per attempt, two attempts
    const clients = createAwsClients({
      bedrockRegion: 'us-west-2',
      bedrockTimeoutMs: 1_000,
      bedrockMaxAttempts: 2,
      s3ForcePathStyle: true,
    });
    const model = new BedrockImageModel(clients.bedrock, 'us-west-2');
    try {
      // WHEN the model never answers
      const err = await model.generate(CORE, REQUEST, 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      // THEN each attempt was cut, and the image fails with the timeout code rather than hanging
      expect(err).toBeInstanceOf(ProblemError);
      expect((err as ProblemError).problem.code).toBe(ErrorCode.MODEL_TIMEOUT);
      expect(calls).toBe(2);
    } finally {
      clients.bedrock.destroy();
    }
  });
});

describe('createAwsClients with explicit credentials', () => {
  it('signs every client with them (the local cloud gives each function its own role)', async () => {
    const keys = { accessKeyId: 'LOCALWORKERROLE00000', secretAccessKey: 'w'.repeat(40) };
    const clients = createAwsClients({
      region: 'us-west-2',
      bedrockRegion: 'us-west-2',
      bedrockTimeoutMs: 1_000,
      bedrockMaxAttempts: 1,
      s3ForcePathStyle: true,
      credentials: keys,
    });
    for (const client of Object.values(clients)) {
      const credentials = client.config.credentials as () => Promise<{ accessKeyId: string }>;
      expect((await credentials()).accessKeyId).toBe(keys.accessKeyId);
      client.destroy();
    }
  });
});
