import { BedrockClient, GetFoundationModelAvailabilityCommand } from '@aws-sdk/client-bedrock';

import { ModelCatalogEntry } from '@imagegen/contracts';
import { ModelAccess, ModelAccessPort } from '@imagegen/generator/domain';

const howToEnable = (model: ModelCatalogEntry, region: string) =>
  `open the Amazon Bedrock console in ${region}, choose Model access, and enable ${model.displayName} (${model.id})`;

/** What Bedrock's control plane says of a model, in words a person can act on. */
export function accessFromAvailability(
  model: ModelCatalogEntry,
  region: string,
  out: {
    authorizationStatus?: string;
    entitlementAvailability?: string;
    regionAvailability?: string;
    agreementAvailability?: { status?: string };
  },
): ModelAccess {
  if (out.regionAvailability === 'NOT_AVAILABLE') {
    return {
      availability: 'wrong-region',
      reason: `${model.displayName} is not offered in ${region}: set BEDROCK_REGION to ${model.region}.`,
    };
  }
  if (out.authorizationStatus === 'NOT_AUTHORIZED') {
    return {
      availability: 'no-access',
      reason: `This AWS account is not authorized for ${model.displayName}: ${howToEnable(model, region)}.`,
    };
  }
  if (out.entitlementAvailability === 'NOT_AVAILABLE') {
    return {
      availability: 'no-access',
      reason: `${model.displayName} is not enabled for this AWS account: ${howToEnable(model, region)}.`,
    };
  }
  const agreement = out.agreementAvailability?.status;
  if (agreement === 'PENDING') {
    return {
      availability: 'no-access',
      reason: `Access to ${model.displayName} is being granted: try again in a few minutes.`,
    };
  }
  if (agreement === 'NOT_AVAILABLE' || agreement === 'ERROR') {
    return {
      availability: 'no-access',
      reason: `The ${model.provider} agreement for ${model.displayName} is not accepted: ${howToEnable(model, region)}.`,
    };
  }
  return { availability: 'available' };
}

/**
 * Model access through Bedrock's control plane (GetFoundationModelAvailability), in the Bedrock
 * region, cached per model. Never throws: a control plane that cannot be asked answers `unknown`
 * (cached briefly), and the model's own answer decides.
 */
export class BedrockModelAccess implements ModelAccessPort {
  private readonly cache = new Map<string, { access: ModelAccess; until: number }>();

  constructor(
    private readonly client: BedrockClient,
    private readonly region: string,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async check(model: ModelCatalogEntry): Promise<ModelAccess> {
    if (model.region !== this.region) {
      return {
        availability: 'wrong-region',
        reason: `${model.displayName} is served in ${model.region}, and this deployment calls Bedrock in ${this.region}: set BEDROCK_REGION to ${model.region}.`,
      };
    }
    const hit = this.cache.get(model.id);
    if (hit && hit.until > this.now()) return hit.access;
    let access: ModelAccess;
    let seconds = this.cacheSeconds;
    try {
      const out = await this.client.send(new GetFoundationModelAvailabilityCommand({ modelId: model.id }));
      access = accessFromAvailability(model, this.region, out);
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'ResourceNotFoundException' || name === 'ValidationException') {
        access = {
          availability: 'wrong-region',
          reason: `${model.displayName} is not offered in ${this.region}: set BEDROCK_REGION to ${model.region}.`,
        };
      } else {
        access = { availability: 'unknown' };
        seconds = Math.min(seconds, 30);
      }
    }
    this.cache.set(model.id, { access, until: this.now() + seconds * 1000 });
    return access;
  }
}
