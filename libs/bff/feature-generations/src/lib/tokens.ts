export const FOLLOW_OPTIONS = Symbol('FOLLOW_OPTIONS');
