import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import { ErrorCode, PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemError } from '@imagegen/contracts';

export interface RouteContext {
  readonly event: APIGatewayProxyEvent;
  readonly params: Readonly<Record<string, string>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
}

export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
}

export type RouteHandler = (ctx: RouteContext) => Promise<RouteResult>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: RouteHandler;
}

/** A small router over REST API proxy events: method + `/path/{param}` → handler. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: RouteHandler): this {
    const names: string[] = [];
    const pattern = new RegExp(
      '^' + path.replace(/\{(\w+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)')) + '/?$',
    );
    this.routes.push({ method, pattern, names, handler });
    return this;
  }

  async resolve(event: APIGatewayProxyEvent): Promise<RouteResult> {
    const path = event.path ?? '/';
    const matching = this.routes.filter((r) => r.pattern.test(path));
    if (matching.length === 0)
      throw ProblemError.of(ErrorCode.NOT_FOUND, `no route for ${path.slice(0, 100)}`);
    const route = matching.find((r) => r.method === event.httpMethod);
    if (!route) {
      throw ProblemError.of(
        ErrorCode.NOT_FOUND,
        `${event.httpMethod} is not supported on ${path.slice(0, 100)}`,
      );
    }
    const values = route.pattern.exec(path)?.slice(1) ?? [];
    const params = Object.fromEntries(route.names.map((n, i) => [n, safeDecode(values[i] ?? '')]));
    const headers = Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']),
    );
    const query = Object.fromEntries(
      Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v ?? '']),
    );
    return route.handler({ event, params, headers, query });
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  if (body === undefined)
    return { statusCode: status, headers: { 'cache-control': 'no-store', ...headers }, body: '' };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function problemResponse(problem: ProblemDetails, requestId: string): APIGatewayProxyResult {
  const body = { ...problem, requestId };
  return {
    statusCode: problem.status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      'x-request-id': requestId,
      ...(problem.retryAfterSeconds ? { 'retry-after': String(problem.retryAfterSeconds) } : {}),
    },
    body: JSON.stringify(body),
  };
}
