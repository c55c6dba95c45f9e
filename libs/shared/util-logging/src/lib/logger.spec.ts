import { Writable } from 'node:stream';

import { createLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, destination };
}

describe(createLogger.name, () => {
  it('writes one JSON object per line with level, ISO time, service and the bound request id', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'generator-api', level: 'info', destination });

    log.child({ requestId: 'req-123' }).info({ generationId: 'g1' }, 'job queued');

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'generator-api',
      requestId: 'req-123',
      generationId: 'g1',
      msg: 'job queued',
    });
    expect(String(lines[0]['time'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('keeps lines below the level out and redacts credentials', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'bff', level: 'warn', destination });

    log.info('not shown');
    log.warn(
      { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIA…', cookie: 'owner=1' } },
      'odd request',
    );

    expect(lines).toHaveLength(1);
    expect(lines[0]['headers']).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
  });
});
