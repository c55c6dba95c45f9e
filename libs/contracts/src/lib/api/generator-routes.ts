/**
 * The generator API's routes, as data: the one list the generator's router registers handlers by
 * and infra's REST API builds one resource and method per route from (path parameters as `{name}`).
 * A route missing here exists nowhere: API Gateway answers 403 "Missing Authentication Token".
 */
export const GENERATOR_ROUTES = [
  { method: 'POST', path: '/generations' },
  { method: 'GET', path: '/generations' },
  { method: 'GET', path: '/generations/{id}' },
  { method: 'DELETE', path: '/generations/{id}' },
  { method: 'POST', path: '/generations/{id}/cancel' },
  { method: 'GET', path: '/models' },
  { method: 'GET', path: '/services' },
  { method: 'GET', path: '/summary' },
  { method: 'POST', path: '/usage/assistant' },
  { method: 'POST', path: '/uploads' },
  { method: 'POST', path: '/uploads/{id}/check' },
  { method: 'POST', path: '/edits' },
] as const;

export type GeneratorRoute = (typeof GENERATOR_ROUTES)[number];
export type GeneratorRouteKey = GeneratorRoute extends infer R
  ? R extends { method: infer M extends string; path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;

/** `METHOD /path` of a route: the key the generator's handlers are registered under. */
export function routeKey(route: { readonly method: string; readonly path: string }): string {
  return `${route.method} ${route.path}`;
}
