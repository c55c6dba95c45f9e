import { prettyLines, setDefaultLogDestination } from '@imagegen/shared/util-logging';

/**
 * On a terminal, `npm start` prints readable one-line logs: every JSON line written to stdout (the
 * local cloud's and the generator's logs, the generator's EMF metrics, the BFF's output, which the
 * BFF process hands to this one) goes through prettyLogLine. Piped or redirected (not a TTY), or
 * with LOG_FORMAT=json, stdout stays JSON. Returns whether it formats.
 */
export function prettyStdoutOnTerminal(
  stdout: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (stdout.isTTY !== true || env['LOG_FORMAT'] === 'json') return false;
  const write = stdout.write.bind(stdout) as (text: string) => boolean;
  const sink = prettyLines((text) => void write(text), env['NO_COLOR'] === undefined);
  stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    sink(chunk);
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as NodeJS.WriteStream['write'];
  // pino writes to the file descriptor itself unless given a stream: give it stdout (formatted).
  setDefaultLogDestination(stdout);
  return true;
}
