import { createLogger, setDefaultLogDestination } from '@imagegen/shared/util-logging';

import { prettyStdoutOnTerminal } from './pretty-output';

/** A stand-in for process.stdout: what reached the terminal. */
function terminal(isTTY: boolean) {
  const written: string[] = [];
  const stream = {
    isTTY,
    write: (chunk: string | Uint8Array) => (written.push(String(chunk)), true),
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

afterEach(() => setDefaultLogDestination(undefined));

describe(prettyStdoutOnTerminal.name, () => {
  it('on a terminal, prints log lines and EMF metrics readable, the loggers made afterwards included', () => {
    const { stream, written } = terminal(true);
    expect(prettyStdoutOnTerminal(stream, { NO_COLOR: '1' })).toBe(true);
    createLogger({ service: 'generator' }).info({ requestId: 'r-1' }, 'job queued');
    stream.write(
      JSON.stringify({
        _aws: {
          Timestamp: 0,
          CloudWatchMetrics: [
            {
              Namespace: 'imagegen',
              Dimensions: [['service']],
              Metrics: [{ Name: 'JobsStarted', Unit: 'Count' }],
            },
          ],
        },
        service: 'generator',
        JobsStarted: 1,
      }) + '\n',
    );
    stream.write('imagegen is ready\n');
    expect(written[0]).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}generator job queued requestId=r-1\n$/);
    expect(written[1]).toBe('00:00:00.000 METRIC generator JobsStarted=1\n');
    expect(written[2]).toBe('imagegen is ready\n');
  });

  it('leaves stdout JSON when it is not a terminal, or with LOG_FORMAT=json', () => {
    for (const [tty, env] of [
      [false, {}],
      [true, { LOG_FORMAT: 'json' }],
    ] as const) {
      const { stream, written } = terminal(tty);
      const write = stream.write;
      expect(prettyStdoutOnTerminal(stream, env)).toBe(false);
      expect(stream.write).toBe(write);
      stream.write('{"level":"info","msg":"x"}\n');
      expect(written).toEqual(['{"level":"info","msg":"x"}\n']);
    }
  });
});
