import { Writable } from 'node:stream';

import { createLogger } from './logger';
import { prettyLines, prettyLogLine } from './pretty';

/** What createLogger writes for these calls (the real JSON lines). */
function jsonLines(write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  const destination = new Writable({ write: (c, _e, done) => (lines.push(String(c).trimEnd()), done()) });
  write(createLogger({ service: 'bff', destination }));
  return lines;
}

describe(prettyLogLine.name, () => {
  it('turns a log line into time, level, service, message and its fields, on one line', () => {
    const [json] = jsonLines((log) => log.child({ requestId: 'req-1' }).warn({ jobs: 3 }, 'draining'));
    const pretty = prettyLogLine(json, false);
    expect(pretty).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}bff draining requestId=req-1 jobs=3$/);
    expect(pretty.split('\n')).toHaveLength(1);
  });

  it('says an access log line as method, path, status and time', () => {
    const line = JSON.stringify({
      level: 'info',
      time: '2026-12-02T10:00:00.123Z',
      service: 'bff',
      requestId: 'req-2',
      req: { method: 'GET', url: '/api/models' },
      res: { statusCode: 200 },
      responseTime: 12,
      msg: 'request completed',
    });
    expect(prettyLogLine(line, false)).toBe(
      '10:00:00.123 INFO  bff request completed GET /api/models 200 12ms requestId=req-2',
    );
  });

  it('says an EMF metric document as its metrics and dimensions', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: Date.parse('2026-12-02T10:00:01.000Z'),
        CloudWatchMetrics: [
          {
            Namespace: 'imagegen',
            Dimensions: [['service', 'model']],
            Metrics: [{ Name: 'ModelTime', Unit: 'Milliseconds' }],
          },
        ],
      },
      service: 'generator',
      model: 'stability.sd3-5-large-v1:0',
      ModelTime: 812,
    });
    expect(prettyLogLine(line, false)).toBe(
      '10:00:01.000 METRIC generator ModelTime=812ms model=stability.sd3-5-large-v1:0',
    );
  });

  it('puts an error stack under its line, and leaves text that is not a log line as it was', () => {
    const [json] = jsonLines((log) => log.error({ err: new Error('boom') }, 'failed'));
    const [head, stack] = prettyLogLine(json, false).split('\n');
    expect(head).toMatch(/ERROR bff failed$/);
    expect(stack).toMatch(/^Error: boom/);
    for (const text of ['imagegen is ready: http://localhost:4200', '[1,2]', 'null', '{"not":"a log"}'])
      expect(prettyLogLine(text, false)).toBe(text);
  });
});

describe(prettyLines.name, () => {
  it('formats whole lines as they complete, across chunks', () => {
    const out: string[] = [];
    const write = prettyLines((t) => out.push(t), false);
    write('{"level":"info","time":"2026-12-02T10:00:00.000Z","service":"x","msg":"one"}\n{"level":"in');
    expect(out).toEqual(['10:00:00.000 INFO  x one\n']);
    write('fo","time":"2026-12-02T10:00:00.000Z","service":"x","msg":"two"}\nplain\n');
    expect(out).toEqual(['10:00:00.000 INFO  x one\n', '10:00:00.000 INFO  x two\n', 'plain\n']);
  });
});
