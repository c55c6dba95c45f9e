export type Sharp = typeof import('sharp').default;

let loaded: Promise<Sharp> | undefined;

/**
 * sharp (libvips) is loaded on first use only: the worker decodes images, the API and the
 * abandoned-job handler share the bundle and never load the native module.
 */
export function loadSharp(): Promise<Sharp> {
  // sharp 0.35 ships ESM and CJS entries; the bundle may hand either shape back.
  loaded ??= import('sharp').then((m) => m.default ?? (m as unknown as Sharp));
  return loaded;
}
