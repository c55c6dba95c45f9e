import {
  editParent,
  ImageRef,
  ImageServiceEntry,
  isJobInputRef,
  isUploadRef,
  NormalizedGenerateImageRequest,
} from '@imagegen/contracts';

/** What a file says about how it was made (the "parameters" convention image tools read). */
export interface ImageParameters {
  readonly request: NormalizedGenerateImageRequest;
  /** An edit's image service (its name is written beside the id). */
  readonly service?: ImageServiceEntry;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly createdAt: string;
}

/** What an edit that had no parent started from: an upload, or the kept input of an earlier edit. */
function inputName(image: ImageRef): string {
  return isJobInputRef(image)
    ? `${image.input} of ${image.generationId}`
    : isUploadRef(image)
      ? `upload ${image.uploadId}`
      : '';
}

/** An edit's lines: the service, and what it started from (the parent image, or an upload). */
function editFields(p: ImageParameters): string[] {
  const edit = p.request.edit;
  if (!edit) return [`Aspect ratio: ${p.request.aspectRatio}`];
  const parent = editParent(p.request);
  return [
    `Service: ${p.service?.displayName ?? edit.serviceId}`,
    parent ? `Parent: ${parent.generationId}/${parent.imageId}` : `Input: ${inputName(edit.image)}`,
  ];
}

/**
 * The A1111-style text (the domain decides what is said; the images adapter, ImageMetadataPort,
 * writes it into the file's bytes): the prompt, then "Negative prompt: …", then `Key: value` pairs.
 * An edit names its service and the image it started from instead of an aspect ratio.
 */
export function parametersText(p: ImageParameters): string {
  const lines = [p.request.prompt];
  if (p.request.negativePrompt) lines.push(`Negative prompt: ${p.request.negativePrompt}`);
  lines.push(
    [
      `Seed: ${p.seed}`,
      `Size: ${p.width}x${p.height}`,
      ...editFields(p),
      `Model: ${p.request.modelId}`,
      `Created: ${p.createdAt}`,
      'Software: imagegen',
    ].join(', '),
  );
  return lines.join('\n');
}
