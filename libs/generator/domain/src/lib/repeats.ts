import { NormalizedGenerateImageRequest } from '@imagegen/contracts';

/** The same request always gives the same text, whatever the order of its fields. */
export function stableJson(value: object): string {
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(entries);
}

/**
 * Only a request with an explicit seed makes the same images again (seed 0 asks the model for a
 * random one), so only such a request can be answered from the store. Never an edit: its upload
 * may be posted again under the same id while its ticket lasts, so the same request may mean other pixels.
 */
export function isRepeatable(request: NormalizedGenerateImageRequest): boolean {
  return request.seed !== undefined && request.seed > 0 && request.edit === undefined;
}

/**
 * What decides the images: every parameter of the normalized request (model, prompt, negative
 * prompt, aspect ratio, seed, count, format). SHA-256 in hex, so a 10,000-character prompt makes
 * a short key (Web Crypto: the same in Node and the browser).
 */
export async function repeatFingerprint(request: NormalizedGenerateImageRequest): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(stableJson(request)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
