import { GeneratedImage } from '@imagegen/contracts';

const EXTENSIONS = { png: 'png', jpeg: 'jpg', webp: 'webp' } as const;

/** A file name a person recognises: the prompt's first words, the seed, the format. */
export function downloadName(prompt: string, image: Pick<GeneratedImage, 'seed' | 'format'>): string {
  const words = prompt
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/<[^>]*>/g, ' ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean)
    .slice(0, 6)
    .join('-')
    .slice(0, 60);
  return `${words || 'image'}-${image.seed}.${EXTENSIONS[image.format]}`;
}

/** Saves an image from its (cross-origin) presigned URL under a sensible name. */
export async function saveImage(url: string, name: string): Promise<void> {
  // No cache: the <img> may have cached this URL without CORS headers (S3 adds them only for a request with an Origin).
  const res = await fetch(url, { mode: 'cors', cache: 'no-store' });
  if (!res.ok) throw new Error(`download failed (HTTP ${res.status})`);
  const blobUrl = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = blobUrl;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(blobUrl), 10_000);
}
