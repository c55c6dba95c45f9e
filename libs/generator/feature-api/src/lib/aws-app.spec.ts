import { BedrockClient } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

import { createAbandonedApp, createApiApp, createGeneratorApp, createWorkerApp } from './aws-app';
import { ClientTracer, powertoolsTraced, resetPowertoolsTracer } from './powertools';
import { loadGeneratorSettings } from './settings';

// Powertools Tracer, as the Lambda layer would provide it: records the clients it is asked to capture.
const captured: unknown[] = [];
const constructed: unknown[] = [];
jest.mock('@aws-lambda-powertools/tracer', () => ({
  Tracer: class {
    constructor(options?: unknown) {
      constructed.push(options);
    }
    captureAWSv3Client<T>(client: T): T {
      captured.push(client);
      return client;
    }
  },
}));

const ENV = {
  GENERATIONS_TABLE: 'jobs',
  IMAGES_BUCKET: 'images',
  WORKER_QUEUE_URL: 'https://sqs.us-west-2.amazonaws.com/123456789012/worker',
  LOG_LEVEL: 'silent',
};
const clientKinds = () =>
  captured.map(
    (c) =>
      [S3Client, DynamoDBClient, BedrockClient, BedrockRuntimeClient, SQSClient].find((k) => c instanceof k)
        ?.name,
  );

describe('the Lambda composition roots (aws-app.ts) and tracing', () => {
  beforeEach(() => {
    captured.length = 0;
    constructed.length = 0;
    resetPowertoolsTracer();
  });

  it('the API function captures each of its SDK clients with Powertools Tracer: S3, DynamoDB, Bedrock, SQS', () => {
    createApiApp(loadGeneratorSettings(ENV, 'api'));
    expect(clientKinds().sort()).toEqual(['BedrockClient', 'DynamoDBClient', 'S3Client', 'SQSClient']);
  });

  it('the worker captures S3, DynamoDB and Bedrock Runtime; the abandoned-job function S3 and DynamoDB', () => {
    createWorkerApp(loadGeneratorSettings(ENV, 'worker'));
    expect(clientKinds().sort()).toEqual(['BedrockRuntimeClient', 'DynamoDBClient', 'S3Client']);
    captured.length = 0;
    createAbandonedApp(loadGeneratorSettings(ENV, 'worker'));
    expect(clientKinds().sort()).toEqual(['DynamoDBClient', 'S3Client']);
  });

  it('one tracer per process, built on first use (its service from POWERTOOLS_SERVICE_NAME)', () => {
    createApiApp(loadGeneratorSettings(ENV, 'api'));
    createWorkerApp(loadGeneratorSettings(ENV, 'worker'));
    expect(constructed).toEqual([undefined]);
  });

  it('the local cloud’s in-process generator leaves its clients untraced', () => {
    createGeneratorApp(loadGeneratorSettings(ENV, 'api'));
    expect(captured).toEqual([]);
  });
});

describe(powertoolsTraced.name, () => {
  beforeEach(() => resetPowertoolsTracer());

  it('when the tracer cannot be loaded (no layer), hands the clients back untraced and warns once', () => {
    const warn = jest.fn();
    const missing = () => {
      throw new Error("Cannot find module '@aws-lambda-powertools/tracer'");
    };
    const traced = powertoolsTraced(warn, missing);
    const client = { send: () => undefined };
    expect(traced(client)).toBe(client);
    powertoolsTraced(warn, missing);
    expect(warn.mock.calls).toEqual([
      [
        'Powertools Tracer could not be loaded: the AWS SDK clients are not traced',
        { error: "Cannot find module '@aws-lambda-powertools/tracer'" },
      ],
    ]);
  });

  it('with the real Powertools Tracer outside Lambda (tracing off), the client comes back unchanged', () => {
    const real = jest.requireActual('@aws-lambda-powertools/tracer') as {
      Tracer: new () => ClientTracer;
    };
    const client = new S3Client({ region: 'us-west-2' });
    const traced = powertoolsTraced(jest.fn(), () => new real.Tracer());
    expect(traced(client)).toBe(client);
  });
});
