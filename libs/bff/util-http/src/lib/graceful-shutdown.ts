import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Observable, ReplaySubject } from 'rxjs';

import { ErrorCode, problem, PROBLEM_CONTENT_TYPE } from '@imagegen/contracts';

/** What the shutdown writes: pino's `(object, message)` shape. */
export interface ShutdownLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GracefulShutdownOptions {
  /** From the signal to a forced exit with code 1 that names the requests it cuts. */
  readonly deadlineMs: number;
  readonly log: ShutdownLog;
  /** How the process ends (process.exit; tests pass a recorder). */
  readonly exit?: (code: number) => void;
  readonly now?: () => number;
}

/** What is shut down: the listening server, and the app's own close (Nest's shutdown hooks). */
export interface Drainable {
  readonly server: Server;
  readonly close: () => Promise<void>;
}

/** Where the signals come from (the process; tests pass an emitter). */
export interface SignalSource {
  once(signal: string, listener: () => void): unknown;
}

interface InFlight {
  readonly method: string;
  readonly path: string;
  readonly requestId?: string;
  readonly since: number;
}

type NextFunction = (err?: unknown) => void;

/**
 * Graceful shutdown of the HTTP server. On a signal: stop accepting connections, answer any request
 * that still arrives on a kept-alive connection with 503 problem+json and `Connection: close`, end
 * long-lived responses (event streams, through `draining`), let the requests in progress finish,
 * close the app, exit 0. A hard deadline exits 1 and logs each request it cuts.
 */
export class GracefulShutdown {
  private readonly inFlight = new Map<ServerResponse, InFlight>();
  private readonly drainingSubject = new ReplaySubject<void>(1);
  private readonly exit: (code: number) => void;
  private readonly now: () => number;
  private server?: Server;
  private finished?: Promise<number>;
  private idleWaiters: (() => void)[] = [];

  /** Emits once when draining starts: long-lived responses end on it. */
  readonly draining: Observable<void> = this.drainingSubject.asObservable();

  constructor(private readonly options: GracefulShutdownOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.now = options.now ?? Date.now;
  }

  get isDraining(): boolean {
    return this.finished !== undefined;
  }

  /** Requests in progress (the first middleware, so that it sees every request). */
  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction): void => {
    if (this.isDraining) return this.refuse(req, res);
    this.inFlight.set(res, {
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0] ?? '',
      requestId: requestIdOf(req),
      since: this.now(),
    });
    const done = () => {
      if (this.inFlight.delete(res)) this.settled();
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };

  /** Drains and closes; resolves with the exit code (0 drained, 1 cut by the deadline or failed). */
  shutdown(signal: string, target: Drainable): Promise<number> {
    this.finished ??= this.drain(signal, target);
    return this.finished;
  }

  /** On each signal: drain, then exit with the code (once). */
  exitOnSignals(
    target: Drainable,
    signals: readonly string[] = ['SIGTERM', 'SIGINT'],
    source: SignalSource = process,
  ): void {
    let exiting = false;
    for (const signal of signals) {
      source.once(signal, () => {
        void this.shutdown(signal, target).then((code) => {
          if (exiting) return;
          exiting = true;
          this.exit(code);
        });
      });
    }
  }

  private async drain(signal: string, target: Drainable): Promise<number> {
    const { log, deadlineMs } = this.options;
    this.server = target.server;
    log.info(
      { signal, inFlight: this.inFlight.size, deadlineMs },
      'shutting down: no new connections, finishing the requests in progress',
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        const now = this.now();
        const cut = [...this.inFlight.values()].map((r) => ({
          method: r.method,
          path: r.path,
          requestId: r.requestId,
          ms: now - r.since,
        }));
        log.error(
          { cut, deadlineMs },
          `shutdown deadline reached: cutting ${cut.length} request(s) in progress`,
        );
        resolve(1);
      }, deadlineMs);
    });
    const drained = (async () => {
      target.server.close(); // no new connections; Node also closes the kept-alive ones that are idle
      this.drainingSubject.next();
      this.drainingSubject.complete();
      await this.idle();
      target.server.closeAllConnections(); // what is left never sent a whole request
      await target.close();
      log.info({ signal }, 'drained: every request finished');
      return 0;
    })().catch((err: unknown) => {
      log.error({ err }, 'shutdown failed');
      return 1;
    });
    const code = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    return code;
  }

  private refuse(req: IncomingMessage, res: ServerResponse): void {
    const requestId = requestIdOf(req);
    const details = problem(ErrorCode.SERVICE_UNAVAILABLE, 'this server is restarting: try again', {
      retryAfterSeconds: 1,
    });
    res.statusCode = 503;
    res.setHeader('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    res.setHeader('retry-after', '1');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('connection', 'close');
    res.end(JSON.stringify({ ...details, ...(requestId ? { requestId } : {}) }));
  }

  private settled(): void {
    if (!this.isDraining) return;
    // A kept-alive connection whose last request just ended is idle now: close it.
    setImmediate(() => this.server?.closeIdleConnections());
    if (this.inFlight.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }

  private idle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

function requestIdOf(req: IncomingMessage): string | undefined {
  const id = (req as IncomingMessage & { id?: unknown }).id;
  return typeof id === 'string' && id ? id : undefined;
}
