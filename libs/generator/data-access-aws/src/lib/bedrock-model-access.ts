import { BedrockClient, GetFoundationModelAvailabilityCommand } from '@aws-sdk/client-bedrock';

import { ImageServiceEntry, ModelCatalogEntry } from '@imagegen/contracts';
import { ModelAccess, ModelAccessPort } from '@imagegen/generator/domain';

/**
 * What Bedrock's control plane (GetFoundationModelAvailability) says of a model, in words a person
 * can act on. Only what the first call cannot change blocks a model: not offered in the region, or
 * the account not authorized. An entitlement or agreement not yet in place does not: Bedrock's
 * Model access page is retired, serverless models are enabled by default, and the first call to a
 * third-party model starts its AWS Marketplace subscription (Bedrock user guide, "Request access to
 * models": https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html). Blocking it here
 * would stop the very call that subscribes; should that subscription fail, the call answers
 * AccessDeniedException and bedrockProblem names the fix.
 */
export function accessFromAvailability(
  model: Pick<ModelCatalogEntry, 'id' | 'displayName' | 'region'>,
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
      reason: `Amazon Bedrock says this AWS account is not authorized to use ${model.displayName} (${model.id}) in ${region}: check the IAM policies (and any service control policy) that apply to the generator's roles.`,
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
    return this.ask(model);
  }

  /**
   * An image service through the US cross-Region inference profile is callable from any region the
   * profile routes to (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html);
   * its foundation model's availability is asked in this region.
   */
  async checkService(service: ImageServiceEntry): Promise<ModelAccess> {
    const r = service.routing;
    const regions = r.profile === 'us' ? r.destinationRegions : [r.region];
    if (!regions.includes(this.region)) {
      return {
        availability: 'wrong-region',
        reason: `${service.displayName} is served in ${regions.join(', ')}, and this deployment calls Bedrock in ${this.region}: set BEDROCK_REGION to ${regions[0]}.`,
      };
    }
    return this.ask({ id: service.id, displayName: service.displayName, region: this.region });
  }

  private async ask(model: Pick<ModelCatalogEntry, 'id' | 'displayName' | 'region'>): Promise<ModelAccess> {
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
