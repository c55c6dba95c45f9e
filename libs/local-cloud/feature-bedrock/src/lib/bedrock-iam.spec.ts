import { BedrockClient, GetFoundationModelAvailabilityCommand } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import { createAuthorizer, LOCAL_PRINCIPAL_KEYS, localPrincipals } from '@imagegen/local-cloud/util-iam';
import { sdkRefusal } from '@imagegen/local-cloud/util-iam/testing';

import { BedrockStandIn, startBedrockStandIn } from './bedrock-stand-in';

const CORE = 'stability.stable-image-core-v1:1';
const SD35 = 'stability.sd3-5-large-v1:0';
const authorizer = createAuthorizer({
  principals: localPrincipals({
    worker: {
      roleLogicalId: 'WorkerRole',
      roleName: 'imagegen-WorkerRole',
      statements: [
        {
          Effect: 'Allow',
          Action: 'bedrock:InvokeModel',
          Resource: `arn:aws:bedrock:us-west-2::foundation-model/${CORE}`,
        },
      ],
    },
    api: {
      roleLogicalId: 'ApiRole',
      roleName: 'imagegen-ApiRole',
      statements: [
        {
          Effect: 'Allow',
          Action: 'bedrock:GetFoundationModelAvailability',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': 'us-west-2' } },
        },
      ],
    },
  }),
});
let standIn: BedrockStandIn;

beforeAll(async () => {
  standIn = await startBedrockStandIn({ port: 0, region: 'us-west-2', authorizer, faults: { latencyMs: 0 } });
});
afterAll(() => standIn.close());

const runtime = (credentials = LOCAL_PRINCIPAL_KEYS.worker) =>
  new BedrockRuntimeClient({
    region: 'us-west-2',
    endpoint: standIn.url,
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
const invoke = (modelId: string, credentials = LOCAL_PRINCIPAL_KEYS.worker) =>
  runtime(credentials).send(
    new InvokeModelCommand({
      modelId,
      contentType: 'application/json',
      accept: 'application/json',
      body: new TextEncoder().encode(JSON.stringify({ prompt: 'a lighthouse', seed: 1 })),
    }),
  );

describe('the Bedrock stand-in with an authorizer', () => {
  it('invokes a model the role may invoke', async () => {
    const out = await invoke(CORE);
    expect(JSON.parse(new TextDecoder().decode(out.body))).toMatchObject({ seeds: [1] });
  });

  it('refuses bedrock:InvokeModel on another model with 403 AccessDeniedException', async () => {
    expect(await sdkRefusal(invoke(SD35))).toEqual({
      name: 'AccessDeniedException',
      status: 403,
      message: `User: arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole/worker is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/${SD35} because no identity-based policy allows the bedrock:InvokeModel action`,
    });
    expect(await sdkRefusal(invoke(CORE, LOCAL_PRINCIPAL_KEYS.api))).toMatchObject({
      name: 'AccessDeniedException',
      status: 403,
    });
  });

  it('authorizes GetFoundationModelAvailability on `*` with aws:RequestedRegion', async () => {
    const control = (credentials = LOCAL_PRINCIPAL_KEYS.api) =>
      new BedrockClient({ region: 'us-west-2', endpoint: standIn.url, credentials, maxAttempts: 1 });
    const out = await control().send(new GetFoundationModelAvailabilityCommand({ modelId: CORE }));
    expect(out.entitlementAvailability).toBe('AVAILABLE');
    expect(
      await sdkRefusal(
        control(LOCAL_PRINCIPAL_KEYS.worker).send(
          new GetFoundationModelAvailabilityCommand({ modelId: CORE }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDeniedException', status: 403 });
  });

  it('refuses an unknown key as a bad signature', async () => {
    expect(
      await sdkRefusal(
        invoke(CORE, { accessKeyId: 'LOCALNOBODY000000000', secretAccessKey: 'x'.repeat(40) }),
      ),
    ).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
  });
});
