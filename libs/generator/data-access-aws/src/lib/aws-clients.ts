import { BedrockClient } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsClientSettings {
  /** Region of S3, DynamoDB and SQS (undefined: the SDK's own resolution, AWS_REGION in Lambda). */
  readonly region?: string;
  /** Region of the Bedrock Runtime client: where the models are served. */
  readonly bedrockRegion: string;
  /** Per-attempt timeout of InvokeModel. */
  readonly bedrockTimeoutMs: number;
  /** Attempts of InvokeModel (standard retry: exponential backoff with jitter). */
  readonly bedrockMaxAttempts: number;
  readonly s3ForcePathStyle: boolean;
  /**
   * Credentials for every client; undefined: the SDK's own chain (the function's role in Lambda). The
   * local cloud gives each function its own role's keys this way (several functions share one process).
   */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface AwsClients {
  readonly bedrock: BedrockRuntimeClient;
  /** Bedrock's control plane (model availability), in the Bedrock region. */
  readonly bedrockControl: BedrockClient;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
}

// One factory per client: each Lambda builds (and its bundle holds) only the clients it calls: the
// API no Bedrock Runtime, the worker no SQS client. Endpoints come only from the SDK's own
// settings (`AWS_ENDPOINT_URL_<SERVICE>` or the shared config), so nothing here knows whether it
// talks to AWS or to the local stand-ins.

type Credentialed = Pick<AwsClientSettings, 'credentials'>;
const credentialsOf = (settings: Credentialed) =>
  settings.credentials ? { credentials: { ...settings.credentials } } : {};
const regionOf = (settings: Pick<AwsClientSettings, 'region' | 'credentials'>) => ({
  ...(settings.region ? { region: settings.region } : {}),
  ...credentialsOf(settings),
});

/** Bedrock Runtime (InvokeModel): the worker's. */
export function createBedrockRuntimeClient(
  settings: Pick<AwsClientSettings, 'bedrockRegion' | 'bedrockMaxAttempts' | 'bedrockTimeoutMs'> &
    Credentialed,
): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    ...credentialsOf(settings),
    region: settings.bedrockRegion,
    maxAttempts: settings.bedrockMaxAttempts,
    retryMode: 'standard',
    // HTTP/1.1 with explicit timeouts (the default handler speaks HTTP/2). A model that hangs past the
    // timeout is cut (TimeoutError, retried by the SDK), not merely warned about.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: settings.bedrockTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
}

/** Bedrock's control plane (model availability), in the Bedrock region: the API's. */
export function createBedrockControlClient(
  settings: Pick<AwsClientSettings, 'bedrockRegion'> & Credentialed,
): BedrockClient {
  return new BedrockClient({
    ...credentialsOf(settings),
    region: settings.bedrockRegion,
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3_000,
      requestTimeout: 5_000,
      throwOnRequestTimeout: true,
    }),
  });
}

export function createS3Client(
  settings: Pick<AwsClientSettings, 'region' | 's3ForcePathStyle'> & Credentialed,
): S3Client {
  return new S3Client({
    ...regionOf(settings),
    forcePathStyle: settings.s3ForcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
      throwOnRequestTimeout: true,
    }),
  });
}

export function createDynamoClient(
  settings: Pick<AwsClientSettings, 'region'> & Credentialed,
): DynamoDBClient {
  return new DynamoDBClient({
    ...regionOf(settings),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    }),
  });
}

/** SQS (the worker queue): the API's. */
export function createSqsClient(settings: Pick<AwsClientSettings, 'region'> & Credentialed): SQSClient {
  return new SQSClient({
    ...regionOf(settings),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    }),
  });
}

/** Every client (the local cloud runs API and worker in one process). */
export function createAwsClients(settings: AwsClientSettings): AwsClients {
  return {
    bedrock: createBedrockRuntimeClient(settings),
    bedrockControl: createBedrockControlClient(settings),
    s3: createS3Client(settings),
    dynamo: createDynamoClient(settings),
    sqs: createSqsClient(settings),
  };
}
