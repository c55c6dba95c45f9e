import { Controller, Get, INestApplication, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NextFunction, Response } from 'express';
import request from 'supertest';

import { ErrorCode } from '@imagegen/contracts';

import type { OwnedRequest } from './owner';
import { ProblemDetailsFilter } from './problem-details.filter';
import { CreatesJob, CreatesUpload, NoRateLimit, RateLimitModule, RateLimits } from './rate-limit';

const calls: string[] = [];

@Controller('things')
class ThingsController {
  @Get()
  list(): string[] {
    calls.push('list');
    return [];
  }

  @Post()
  @CreatesJob()
  create(): { id: string } {
    calls.push('create');
    return { id: 'x' };
  }

  @Post('uploads')
  @CreatesUpload()
  upload(): { id: string } {
    calls.push('upload');
    return { id: 'u' };
  }
}

@Controller('health')
@NoRateLimit()
class HealthController {
  @Get()
  health(): { status: string } {
    return { status: 'ok' };
  }
}

async function appWith(limits: Partial<RateLimits>): Promise<INestApplication> {
  @Module({
    imports: [
      RateLimitModule.register({
        windowSeconds: 60,
        perIp: 100,
        perOwner: 100,
        jobsPerOwner: 100,
        jobsPerIp: 100,
        uploadsPerOwner: 100,
        ...limits,
      }),
    ],
    controllers: [ThingsController, HealthController],
  })
  class TestModule {}
  const app = await NestFactory.create(TestModule, { logger: false });
  // The owner, as the owner middleware sets it (here from a test header).
  app.use((req: OwnedRequest, _res: Response, next: NextFunction) => {
    const owner = req.headers['x-test-owner'];
    if (typeof owner === 'string') req.ownerId = owner;
    // No cookie: the owner middleware makes a new owner for the request, as here.
    if (owner === 'new') {
      req.ownerId = `anon-${Math.random()}`;
      req.ownerIsNew = true;
    }
    next();
  });
  app.useGlobalFilters(new ProblemDetailsFilter());
  await app.init();
  return app;
}

let app: INestApplication;
beforeEach(() => (calls.length = 0));
afterEach(() => app.close());

const get = (owner?: string) => {
  const r = request(app.getHttpServer()).get('/things');
  return owner ? r.set('x-test-owner', owner) : r;
};
const create = (owner: string) => request(app.getHttpServer()).post('/things').set('x-test-owner', owner);

describe(RateLimitModule.name, () => {
  it('answers the request over the per-address limit 429 RATE_LIMITED with Retry-After, without running the route', async () => {
    // GIVEN a limit of 2 requests a minute per address
    app = await appWith({ perIp: 2 });
    // WHEN the same address sends 3 (as different owners, and as nobody)
    expect((await get('a')).status).toBe(200);
    expect((await get()).status).toBe(200);
    const refused = await get('b');
    // THEN the third is a problem with a wait in seconds, and the route ran twice only
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      status: 429,
      code: ErrorCode.RATE_LIMITED,
      retryAfterSeconds: expect.any(Number),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(calls).toEqual(['list', 'list']);
  });

  it('counts each owner across routes, apart from the others', async () => {
    // GIVEN a limit of 2 requests a minute per owner
    app = await appWith({ perOwner: 2 });
    // WHEN owner a reads then creates, then reads again, and owner b reads
    expect((await get('a')).status).toBe(200);
    expect((await create('a')).status).toBe(201);
    const third = await get('a');
    const other = await get('b');
    // THEN a's third request is refused, b's is not
    expect(third.status).toBe(429);
    expect(third.body.code).toBe(ErrorCode.RATE_LIMITED);
    expect(other.status).toBe(200);
  });

  it('limits job creations per owner on their own, and a refused creation creates nothing', async () => {
    // GIVEN a limit of 1 job a minute per owner
    app = await appWith({ jobsPerOwner: 1 });
    // WHEN owner a creates two jobs and reads, and owner b creates one
    expect((await create('a')).status).toBe(201);
    const second = await create('a');
    // THEN the second creation is refused, reading still works, and b may create
    expect(second.status).toBe(429);
    expect(second.body.detail).toMatch(/too many new jobs/);
    expect((await get('a')).status).toBe(200);
    expect((await create('b')).status).toBe(201);
    expect(calls.filter((c) => c === 'create')).toHaveLength(2);
  });

  it('counts the jobs of requests without an owner as one owner per address: dropping the cookie buys nothing', async () => {
    // GIVEN a limit of 2 jobs a minute per owner
    app = await appWith({ jobsPerOwner: 2 });
    // WHEN one address sends 3 jobs, each without a cookie (so each with a new owner)
    expect((await create('new')).status).toBe(201);
    expect((await create('new')).status).toBe(201);
    const third = await create('new');
    // THEN the third is refused as the same owner's would be, while an owner with a cookie is not
    expect(third.status).toBe(429);
    expect(third.body.detail).toMatch(/too many new jobs/);
    expect((await create('a')).status).toBe(201);
    expect(calls.filter((c) => c === 'create')).toHaveLength(3);
  });

  it('limits job creations per address whatever the owners', async () => {
    // GIVEN 2 jobs a minute per address
    app = await appWith({ jobsPerIp: 2 });
    expect((await create('a')).status).toBe(201);
    expect((await create('b')).status).toBe(201);
    // WHEN a third owner at the same address creates one
    const third = await create('c');
    // THEN refused, while reading goes on
    expect(third.status).toBe(429);
    expect(third.body.detail).toMatch(/too many new jobs/);
    expect((await get('c')).status).toBe(200);
  });

  it('limits upload tickets per owner apart from jobs, and counts an owner without a cookie by address', async () => {
    // GIVEN 2 uploads a minute per owner
    app = await appWith({ uploadsPerOwner: 2 });
    const upload = (owner: string) =>
      request(app.getHttpServer()).post('/things/uploads').set('x-test-owner', owner);
    expect((await upload('a')).status).toBe(201);
    expect((await upload('a')).status).toBe(201);
    // WHEN the owner asks for a third, and then drops its cookie twice
    const third = await upload('a');
    const fresh = [await upload('new'), await upload('new'), await upload('new')];
    // THEN the third is refused as too many uploads, and so is the third cookie-less one, while jobs go on
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      detail: expect.stringMatching(/too many uploads/),
    });
    expect(fresh.map((r) => r.status)).toEqual([201, 201, 429]);
    expect((await create('a')).status).toBe(201);
    expect(calls.filter((c) => c === 'upload')).toHaveLength(4);
  });

  it('never limits the exempt routes', async () => {
    // GIVEN a limit of 1 request a minute per address, used up
    app = await appWith({ perIp: 1 });
    await get();
    expect((await get()).status).toBe(429);
    // WHEN the load balancer checks health many times
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await request(app.getHttpServer()).get('/health')).status);
    // THEN every check is answered
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
  });
});
