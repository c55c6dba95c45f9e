import { BedrockClient, GetFoundationModelAvailabilityCommand } from '@aws-sdk/client-bedrock';
import { mockClient } from 'aws-sdk-client-mock';

import { findImageService, findModel } from '@imagegen/contracts';

import { accessFromAvailability, BedrockModelAccess } from './bedrock-model-access';

const control = mockClient(BedrockClient);
const CORE = findModel('stability.stable-image-core-v1:1')!;
const AVAILABLE = {
  modelId: CORE.id,
  authorizationStatus: 'AUTHORIZED',
  entitlementAvailability: 'AVAILABLE',
  regionAvailability: 'AVAILABLE',
  agreementAvailability: { status: 'AVAILABLE' },
} as const;

beforeEach(() => control.reset());

describe(accessFromAvailability.name, () => {
  it.each([
    ['everything available', {}, 'available', undefined],
    // The first invoke of a third-party model subscribes: an entitlement or agreement not yet in place must not block it.
    ['no entitlement yet', { entitlementAvailability: 'NOT_AVAILABLE' }, 'available', undefined],
    ['no agreement yet', { agreementAvailability: { status: 'NOT_AVAILABLE' } }, 'available', undefined],
    ['an agreement pending', { agreementAvailability: { status: 'PENDING' } }, 'available', undefined],
    ['an agreement in error', { agreementAvailability: { status: 'ERROR' } }, 'available', undefined],
    [
      'not authorized',
      { authorizationStatus: 'NOT_AUTHORIZED' },
      'no-access',
      /not authorized to use Stable Image Core .* IAM policies/,
    ],
    [
      'another region',
      { regionAvailability: 'NOT_AVAILABLE' },
      'wrong-region',
      /BEDROCK_REGION to us-west-2/,
    ],
  ])('maps %s', (_name, change, availability, reason) => {
    const access = accessFromAvailability(CORE, 'us-west-2', { ...AVAILABLE, ...change });
    expect(access.availability).toBe(availability);
    if (reason) expect(access.reason).toMatch(reason);
  });
});

describe(BedrockModelAccess.name, () => {
  it('asks the control plane once per model while the answer is fresh', async () => {
    let now = 0;
    control
      .on(GetFoundationModelAvailabilityCommand)
      .resolves({ ...AVAILABLE, authorizationStatus: 'NOT_AUTHORIZED' });
    const sut = new BedrockModelAccess(
      new BedrockClient({ region: 'us-west-2' }),
      'us-west-2',
      300,
      () => now,
    );
    expect((await sut.check(CORE)).availability).toBe('no-access');
    await sut.check(CORE);
    expect(control.commandCalls(GetFoundationModelAvailabilityCommand)).toHaveLength(1);
    expect(control.commandCalls(GetFoundationModelAvailabilityCommand)[0].args[0].input).toEqual({
      modelId: CORE.id,
    });
    now = 301_000;
    control.on(GetFoundationModelAvailabilityCommand).resolves(AVAILABLE);
    expect((await sut.check(CORE)).availability).toBe('available');
  });

  it('answers unknown (never throws) when the control plane cannot be asked, and asks again soon', async () => {
    let now = 0;
    control
      .on(GetFoundationModelAvailabilityCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const sut = new BedrockModelAccess(
      new BedrockClient({ region: 'us-west-2' }),
      'us-west-2',
      300,
      () => now,
    );
    expect(await sut.check(CORE)).toEqual({ availability: 'unknown' });
    now = 31_000;
    await sut.check(CORE);
    expect(control.commandCalls(GetFoundationModelAvailabilityCommand)).toHaveLength(2);
  });

  it('knows without asking that a model of another region cannot be called from this one', async () => {
    const sut = new BedrockModelAccess(new BedrockClient({ region: 'us-east-1' }), 'us-east-1', 300);
    expect(await sut.check(CORE)).toMatchObject({
      availability: 'wrong-region',
      reason: expect.stringContaining('us-west-2'),
    });
    expect(control.commandCalls(GetFoundationModelAvailabilityCommand)).toHaveLength(0);
  });

  it('asks for an image service from any region its profile routes to, and refuses one outside them', async () => {
    const inpaint = findImageService('stability.stable-image-inpaint-v1:0')!;
    control
      .on(GetFoundationModelAvailabilityCommand)
      .resolves({ ...AVAILABLE, modelId: inpaint.id, authorizationStatus: 'NOT_AUTHORIZED' });
    const east = new BedrockModelAccess(new BedrockClient({ region: 'us-east-1' }), 'us-east-1', 300);
    expect(await east.checkService(inpaint)).toMatchObject({
      availability: 'no-access',
      reason: expect.stringContaining('not authorized to use Inpaint'),
    });
    expect(control.commandCalls(GetFoundationModelAvailabilityCommand)[0].args[0].input).toEqual({
      modelId: inpaint.id,
    });
    const europe = new BedrockModelAccess(new BedrockClient({ region: 'eu-west-1' }), 'eu-west-1', 300);
    expect(await europe.checkService(inpaint)).toMatchObject({
      availability: 'wrong-region',
      reason: expect.stringContaining('us-east-1, us-east-2, us-west-2'),
    });
    expect(control.commandCalls(GetFoundationModelAvailabilityCommand)).toHaveLength(1);
  });
});
