export const FOLLOW_OPTIONS = Symbol('FOLLOW_OPTIONS');
export const MODELS_CACHE = Symbol('MODELS_CACHE');
/** Emits when the server starts draining (graceful shutdown): event streams end on it. */
export const DRAINING = Symbol('DRAINING');
/** Caps on live job streams (StreamCaps options). */
export const STREAM_CAPS = Symbol('STREAM_CAPS');
/** How long /api/ready keeps the generator's answer, in ms. */
export const READY_CACHE_MS = Symbol('READY_CACHE_MS');
