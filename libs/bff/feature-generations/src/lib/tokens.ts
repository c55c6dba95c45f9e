export const FOLLOW_OPTIONS = Symbol('FOLLOW_OPTIONS');
export const MODELS_CACHE = Symbol('MODELS_CACHE');
/** Emits when the server starts draining (graceful shutdown): event streams end on it. */
export const DRAINING = Symbol('DRAINING');
