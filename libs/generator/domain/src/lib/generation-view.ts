import { GeneratedImage, Generation } from '@imagegen/contracts';

import { ClockPort, GenerationRecord, UrlSignerPort } from './ports';

/** A stored job as the API answers it: every image with a freshly presigned link. */
export async function toGeneration(
  record: GenerationRecord,
  signer: UrlSignerPort,
  clock: ClockPort,
  expirySeconds: number,
): Promise<Generation> {
  const expiresAt = new Date(clock.now().getTime() + expirySeconds * 1000).toISOString();
  const images: GeneratedImage[] = await Promise.all(
    record.images.map(async (image) => ({
      id: image.id,
      url: await signer.presignGet(image.key, expirySeconds),
      urlExpiresAt: expiresAt,
      width: image.width,
      height: image.height,
      seed: image.seed,
      bytes: image.bytes,
      format: image.format,
    })),
  );
  return {
    id: record.id,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    modelId: record.modelId,
    request: record.request,
    images,
    ...(record.error ? { error: record.error } : {}),
    ...(record.durationMs !== undefined ? { durationMs: record.durationMs } : {}),
    estimatedCostUsd: record.estimatedCostUsd,
    ...(record.engine ? { engine: record.engine } : {}),
  };
}

/** Where an image is kept: names the owner and the job, never the prompt. */
export function imageKey(ownerId: string, generationId: string, imageId: string, extension: string): string {
  return `owners/${ownerId}/generations/${generationId}/${imageId}.${extension}`;
}
