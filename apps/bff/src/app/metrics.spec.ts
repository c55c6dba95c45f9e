import { Writable } from 'node:stream';
import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { createLogger } from '@imagegen/shared/util-logging';

import { CORE, FakeGenerator, testEnv } from '../testing/fake-generator';
import { loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let app: NestExpressApplication;
let generator: FakeGenerator;
let lines: Line[];

beforeEach(async () => {
  lines = [];
  generator = new FakeGenerator();
  const destination = new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) });
  ({ app } = await createBffApp(loadBffConfig(testEnv({ RATE_LIMIT_PER_IP: '3' })), {
    generator,
    logger: createLogger({ service: 'bff', level: 'info', destination }),
  }));
  await app.init();
});
afterEach(() => app.close());

/** The EMF documents the BFF logged (CloudWatch Logs extracts the metrics of these lines). */
const emf = () => lines.filter((l) => l['_aws']);
const metricNames = (line: Line) =>
  (line['_aws'].CloudWatchMetrics[0].Metrics as { Name: string }[]).map((m) => m.Name);

describe('BFF metrics (EMF on stdout)', () => {
  it('logs each answer as an EMF document (namespace imagegen, service=bff) with the request id of its access log line', async () => {
    const res = await request(app.getHttpServer())
      .get('/api/models')
      .set('x-request-id', 'req-metrics-1')
      .set('x-forwarded-for', '203.0.113.1');
    expect(res.status).toBe(200);
    const [doc] = emf();
    expect(doc['_aws'].CloudWatchMetrics).toEqual([
      {
        Namespace: 'imagegen',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'Requests', Unit: 'Count' },
          { Name: 'Latency', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(doc).toMatchObject({ service: 'bff', requestId: 'req-metrics-1', Requests: 1 });
    expect(doc['Latency']).toEqual(expect.any(Number));
    // The same id as the access log line of that request
    expect(lines.find((l) => l['res'] && l['requestId'] === 'req-metrics-1')).toBeDefined();
  });

  it('counts rate-limited answers (429) and leaves the health checks out', async () => {
    const ip = '203.0.113.2';
    for (let i = 0; i < 4; i++)
      await request(app.getHttpServer()).get('/api/models').set('x-forwarded-for', ip);
    await request(app.getHttpServer()).get('/api/health');
    const docs = emf();
    expect(docs).toHaveLength(4);
    expect(docs.filter((d) => metricNames(d).includes('RateLimited'))).toHaveLength(1);
    expect(docs.filter((d) => d['RateLimited'] === 1)).toHaveLength(1);
  });

  it('counts the job streams open: one more when a stream opens, one fewer when it ends (no latency for a stream)', async () => {
    const created = await request(app.getHttpServer())
      .post('/api/generations')
      .send({ modelId: CORE, prompt: 'x' });
    const cookie = created.headers['set-cookie'] as unknown as string[];
    setTimeout(() => generator.finish(created.body.id), 300);
    await request(app.getHttpServer())
      .get(`/api/generations/${created.body.id}/events`)
      .set('Cookie', cookie)
      .set('x-request-id', 'req-stream')
      .buffer(true)
      .parse((r, cb) => {
        r.on('data', () => undefined);
        r.on('end', () => cb(null, ''));
      });
    const stream = emf().filter((d) => d['requestId'] === 'req-stream');
    expect(stream.map((d) => d['StreamsOpen'])).toEqual([1, 0]);
    expect(stream[1]['Requests']).toBe(1);
    expect(stream[1]['Latency']).toBeUndefined();
  });
});
