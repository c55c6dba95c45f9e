import {
  EditInputImage,
  estimateCostUsd,
  estimateServiceCostUsd,
  GeneratedImage,
  Generation,
  isTerminal,
  JOB_INPUT_NAMES,
  JobInputName,
  NormalizedGenerateImageRequest,
  OutputFormat,
  ServiceInputName,
} from '@imagegen/contracts';

import { GenerationRecord, GeneratorDeps } from './ports';

const byIndex = <T extends { readonly index: number }>(a: T, b: T) => a.index - b.index;

/**
 * What `images` images of a job cost: an edit's at its image service's price (SD3.5 Large's
 * image-to-image shares the text model's id, not necessarily its price), a generation's at its model's.
 */
export function imagesCostUsd(
  deps: Pick<GeneratorDeps, 'catalog' | 'services'>,
  job: { readonly modelId: string; readonly request: NormalizedGenerateImageRequest },
  images: number,
): number {
  const serviceId = job.request.edit?.serviceId;
  if (serviceId !== undefined) {
    const service = deps.services(serviceId);
    return service ? estimateServiceCostUsd(service, images) : 0;
  }
  const model = deps.catalog(job.modelId);
  return model ? estimateCostUsd(model, images) : 0;
}

/** The real cost of a job: recorded when it ended, else the price of the images it kept. */
export function costOf(
  record: GenerationRecord,
  deps: Pick<GeneratorDeps, 'catalog' | 'services'>,
): number | undefined {
  if (record.costUsd !== undefined) return record.costUsd;
  if (!isTerminal(record.status)) return undefined;
  return imagesCostUsd(deps, record, record.images.length);
}

/**
 * An edit's kept image and style image, each with a presigned GET (signing is local: no call, no bytes
 * here). Only while the copies exist: from creation until the job ends, and after that only if it made
 * images (removeOrphans deletes the inputs of a job that made none). The mask is not offered.
 */
async function editInputs(
  record: GenerationRecord,
  deps: Pick<GeneratorDeps, 'signer'>,
  expirySeconds: number,
  urlExpiresAt: string,
): Promise<Partial<Record<JobInputName, EditInputImage>> | undefined> {
  const edit = record.request.edit;
  if (!edit || (isTerminal(record.status) && record.images.length === 0)) return undefined;
  const inputs: Partial<Record<JobInputName, EditInputImage>> = {};
  for (const name of JOB_INPUT_NAMES)
    if (edit[name])
      inputs[name] = {
        url: await deps.signer.presignGet(inputKey(record.ownerId, record.id, name), expirySeconds),
        urlExpiresAt,
      };
  return inputs;
}

/** A stored job as the API answers it: every image (and thumbnail) with a freshly presigned link. */
export async function toGeneration(
  record: GenerationRecord,
  deps: Pick<GeneratorDeps, 'signer' | 'clock' | 'settings' | 'catalog' | 'services'>,
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
  const inputs = await editInputs(record, deps, expirySeconds, urlExpiresAt);
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
    ...(inputs ? { inputs } : {}),
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

/** An edit's inputs, copied into its job's prefix so they live as long as the job (uploads/ expires). */
export function inputsPrefix(ownerId: string, generationId: string): string {
  return `${jobPrefix(ownerId, generationId)}inputs/`;
}

/** Where an edit's input is kept (the bytes as uploaded or generated: the worker checks them). */
export function inputKey(ownerId: string, generationId: string, input: ServiceInputName): string {
  return `${inputsPrefix(ownerId, generationId)}${input}`;
}

/** Where a person's upload lands (the presigned POST fixes this exact key): under the owner, never a client name. */
export function uploadKey(ownerId: string, uploadId: string): string {
  return `uploads/${ownerId}/${uploadId}`;
}
