import pino, { DestinationStream, Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** Which program writes the line: `generator-api`, `bff`, `local-cloud`, … */
  readonly service: string;
  readonly level?: string;
  /** Where lines go (stdout by default); tests pass a stream to read them. */
  readonly destination?: DestinationStream;
  /** Fields added to every line as it is written (e.g. the Lambda invocation's context). */
  readonly mixin?: () => Record<string, unknown>;
}

let defaultDestination: DestinationStream | undefined;

/**
 * Where loggers made without a `destination` write from now on (unset: stdout's file descriptor).
 * `npm start` on a terminal points them at its formatter (apps/local-cloud: pretty-output.ts).
 */
export function setDefaultLogDestination(destination: DestinationStream | undefined): void {
  defaultDestination = destination;
}

/**
 * One JSON object per line: `level` as a word, ISO `time`, `service`, `msg`, plus whatever the
 * caller binds (a `requestId` on every line written for a request). Errors go under `err` with
 * their stack: logs only, never a response.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service: options.service },
      messageKey: 'msg',
      ...(options.mixin ? { mixin: options.mixin } : {}),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          '*.secretAccessKey',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? defaultDestination,
  );
}
