import { estimateCostUsd, GeneratedImage, Generation, isTerminal, OutputFormat } from '@imagegen/contracts';

import { GenerationRecord, GeneratorDeps } from './ports';

const byIndex = <T extends { readonly index: number }>(a: T, b: T) => a.index - b.index;

/** The real cost of a job: recorded when it ended, else the price of the images it kept. */
export function costOf(record: GenerationRecord, deps: Pick<GeneratorDeps, 'catalog'>): number | undefined {
  if (record.costUsd !== undefined) return record.costUsd;
  if (!isTerminal(record.status)) return undefined;
  const model = deps.catalog(record.modelId);
  return model ? estimateCostUsd(model, record.images.length) : 0;
}

/** A stored job as the API answers it: every image (and thumbnail) with a freshly presigned link. */
export async function toGeneration(
  record: GenerationRecord,
  deps: Pick<GeneratorDeps, 'signer' | 'clock' | 'settings' | 'catalog'>,
): Promise<Generation> {
  const expirySeconds = deps.settings.presignExpirySeconds;
  const urlExpiresAt = new Date(deps.clock.now().getTime() + expirySeconds * 1000).toISOString();
  const images: GeneratedImage[] = await Promise.all(
    [...record.images].sort(byIndex).map(async (image) => ({
      id: image.id,
      index: image.index ?? 0,
      url: await deps.signer.presignGet(image.key, expirySeconds),
      ...(image.thumbnailKey
        ? { thumbnailUrl: await deps.signer.presignGet(image.thumbnailKey, expirySeconds) }
        : {}),
      urlExpiresAt,
      width: image.width,
      height: image.height,
      seed: image.seed,
      bytes: image.bytes,
      format: image.format,
    })),
  );
  const cost = costOf(record, deps);
  return {
    id: record.id,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    modelId: record.modelId,
    request: record.request,
    images,
    ...(record.failures?.length ? { failures: [...record.failures].sort(byIndex) } : {}),
    ...(record.error ? { error: record.error } : {}),
    ...(record.durationMs !== undefined ? { durationMs: record.durationMs } : {}),
    estimatedCostUsd: record.estimatedCostUsd,
    ...(cost !== undefined ? { costUsd: cost } : {}),
    ...(record.engine ? { engine: record.engine } : {}),
    ...(record.source ? { source: record.source } : {}),
    ...(record.repeatOf ? { repeatOf: record.repeatOf } : {}),
    ...(record.expiresAt !== undefined ? { expiresAt: new Date(record.expiresAt * 1000).toISOString() } : {}),
  };
}

const EXTENSIONS: Readonly<Record<OutputFormat, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp' };
export const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/** Every object of a job lives under this prefix: names the owner and the job, never the prompt. */
export function jobPrefix(ownerId: string, generationId: string): string {
  return `owners/${ownerId}/generations/${generationId}/`;
}

/** Where an image is kept. */
export function imageKey(
  ownerId: string,
  generationId: string,
  imageId: string,
  format: OutputFormat,
): string {
  return `${jobPrefix(ownerId, generationId)}${imageId}.${EXTENSIONS[format]}`;
}

/** Where an image's thumbnail is kept, beside it. */
export function thumbnailKey(ownerId: string, generationId: string, imageId: string): string {
  return `${jobPrefix(ownerId, generationId)}${imageId}.thumb.webp`;
}
