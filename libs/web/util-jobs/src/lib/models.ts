import { catalogEta, ModelEta, ModelInfo } from '@imagegen/contracts';

/** Whether a person may send a request for a model: available, or not known to be unavailable. */
export function isCallable(model: ModelInfo): boolean {
  if (isRetired(model)) return false;
  if (model.availability) return model.availability === 'available' || model.availability === 'unknown';
  return model.available;
}

export function isRetired(model: ModelInfo): boolean {
  return model.availability === 'retired' || model.lifecycle.state === 'retired';
}

/** The models a picker lists: every one but the retired (unavailable ones stay listed, disabled, with why). */
export function pickableModels(models: readonly ModelInfo[]): ModelInfo[] {
  return models.filter((m) => !isRetired(m));
}

/** Why a model cannot be picked, in words a person can act on. */
export function unavailableText(model: ModelInfo): string {
  if (model.unavailableReason) return model.unavailableReason;
  switch (model.availability) {
    case 'no-access':
      return 'Not available to this AWS account: Amazon Bedrock says it is not authorized (check the IAM policies of the deployment).';
    case 'wrong-region':
      return `Not served in the Bedrock region this deployment calls: it is served in ${model.region} (set BEDROCK_REGION).`;
    default:
      return 'Not available right now.';
  }
}

/** The model's ETA (the catalog's guess when the server sent none). */
export function etaOf(model: ModelInfo): ModelEta {
  return model.eta ?? catalogEta(model, 1);
}

/** Stability models want English prompts (shared/bedrock/MODELS.md). */
export function wantsEnglish(model: Pick<ModelInfo, 'family'>): boolean {
  return model.family.startsWith('stability-');
}
