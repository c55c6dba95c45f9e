import { NormalizedGenerateImageRequest } from '@imagegen/contracts';

/** What a file says about how it was made (the "parameters" convention image tools read). */
export interface ImageParameters {
  readonly request: NormalizedGenerateImageRequest;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly createdAt: string;
}

/**
 * The A1111-style text (the domain decides what is said; the images adapter, ImageMetadataPort,
 * writes it into the file's bytes): the prompt, then "Negative prompt: …", then `Key: value` pairs.
 */
export function parametersText(p: ImageParameters): string {
  const lines = [p.request.prompt];
  if (p.request.negativePrompt) lines.push(`Negative prompt: ${p.request.negativePrompt}`);
  lines.push(
    [
      `Seed: ${p.seed}`,
      `Size: ${p.width}x${p.height}`,
      `Aspect ratio: ${p.request.aspectRatio}`,
      `Model: ${p.request.modelId}`,
      `Created: ${p.createdAt}`,
      'Software: imagegen',
    ].join(', '),
  );
  return lines.join('\n');
}
