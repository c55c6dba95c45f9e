import { DynamicModule, ExecutionContext, Injectable, Module, SetMetadata } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModule,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';

import { ErrorCode, ProblemError } from '@imagegen/contracts';

import type { OwnedRequest } from './owner';

/** The request limits (settings): each a number of requests per sliding window. */
export interface RateLimits {
  readonly windowSeconds: number;
  /** Every API request from one client address (behind the ALB: the browser's address). */
  readonly perIp: number;
  /** Every API request of one owner (requests that carry an owner: /api/generations…, /api/summary). */
  readonly perOwner: number;
  /**
   * Job creations (`@CreatesJob()` routes) of one owner. A request that arrives without an owner
   * (no cookie: it is given a new one) counts against its address's share of this limit instead,
   * so dropping the cookie buys nothing.
   */
  readonly jobsPerOwner: number;
  /** Job creations from one client address, whatever the owner (ADR 0015). */
  readonly jobsPerIp: number;
  /**
   * Upload tickets (`@CreatesUpload()` routes) of one owner: each is a presigned POST into the bucket and
   * a check that decodes the image, so they are counted apart from the reads. A request without an owner
   * counts against its address's share, as for jobs.
   */
  readonly uploadsPerOwner: number;
}

/** The names of the limits, as they appear in logs and storage keys. */
export const RATE_LIMIT_NAMES = {
  ip: 'ip',
  owner: 'owner',
  jobs: 'jobs',
  jobsIp: 'jobs-ip',
  uploads: 'uploads',
} as const;

const CREATES_JOB = 'imagegen:creates-job';
const CREATES_UPLOAD = 'imagegen:creates-upload';
const NO_RATE_LIMIT = 'imagegen:no-rate-limit';

/** Marks a route that starts a job: it also counts against the owner's job-creation limit. */
export const CreatesJob = () => SetMetadata(CREATES_JOB, true);

/** Marks a route that hands out an upload ticket: it also counts against the owner's upload limit. */
export const CreatesUpload = () => SetMetadata(CREATES_UPLOAD, true);

/** Exempts a route or controller from every limit (health and readiness checks of the load balancer). */
export const NoRateLimit = () => SetMetadata(NO_RATE_LIMIT, true);

const ownerOf = (ctx: ExecutionContext): string | undefined =>
  ctx.switchToHttp().getRequest<OwnedRequest>().ownerId;
/** The client address as the throttler's own tracker has it (behind the ALB: the browser's). */
const addressOf = (req: Record<string, unknown>) => String(req['ip']);
const createsJob = (ctx: ExecutionContext): boolean =>
  Reflect.getMetadata(CREATES_JOB, ctx.getHandler()) === true;
const createsUpload = (ctx: ExecutionContext): boolean =>
  Reflect.getMetadata(CREATES_UPLOAD, ctx.getHandler()) === true;

/**
 * The throttler settings for the limits: sliding windows (`blockDuration: 0`, so a refused request
 * does not count and Retry-After is when the oldest counted request leaves the window), one counter
 * per client across all routes (the library's default key is per route).
 */
export function rateLimitOptions(limits: RateLimits): ThrottlerModuleOptions {
  const ttl = limits.windowSeconds * 1000;
  const byOwner = (req: Record<string, unknown>) => String(req['ownerId']);
  // An owner made for this very request (no cookie came) is no one yet: its jobs count as the address's.
  const byJobOwner = (req: Record<string, unknown>) =>
    req['ownerIsNew'] === true ? `new@${addressOf(req)}` : byOwner(req);
  return {
    throttlers: [
      // The library's default tracker: the client address (req.ip; an IPv6 address by its /64).
      { name: RATE_LIMIT_NAMES.ip, ttl, limit: limits.perIp, blockDuration: 0 },
      {
        name: RATE_LIMIT_NAMES.owner,
        ttl,
        limit: limits.perOwner,
        blockDuration: 0,
        getTracker: byOwner,
        skipIf: (ctx) => !ownerOf(ctx),
      },
      {
        name: RATE_LIMIT_NAMES.jobs,
        ttl,
        limit: limits.jobsPerOwner,
        blockDuration: 0,
        getTracker: byJobOwner,
        skipIf: (ctx) => !ownerOf(ctx) || !createsJob(ctx),
      },
      {
        name: RATE_LIMIT_NAMES.jobsIp,
        ttl,
        limit: limits.jobsPerIp,
        blockDuration: 0,
        getTracker: addressOf,
        skipIf: (ctx) => !createsJob(ctx),
      },
      {
        name: RATE_LIMIT_NAMES.uploads,
        ttl,
        limit: limits.uploadsPerOwner,
        blockDuration: 0,
        getTracker: byJobOwner,
        skipIf: (ctx) => !ownerOf(ctx) || !createsUpload(ctx),
      },
    ],
    generateKey: (_ctx, tracker, name) => `${name}|${tracker}`,
    setHeaders: false,
  };
}

/**
 * The throttler guard, answering a refused request with 429 problem+json RATE_LIMITED and a
 * Retry-After header (through the problem filter); the route's handler never runs.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return (
      this.reflector.getAllAndOverride<boolean>(NO_RATE_LIMIT, [context.getHandler(), context.getClass()]) ===
      true
    );
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfterSeconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    const what =
      detail.key.startsWith(`${RATE_LIMIT_NAMES.jobs}|`) ||
      detail.key.startsWith(`${RATE_LIMIT_NAMES.jobsIp}|`)
        ? 'too many new jobs'
        : detail.key.startsWith(`${RATE_LIMIT_NAMES.uploads}|`)
          ? 'too many uploads'
          : 'too many requests';
    throw ProblemError.of(ErrorCode.RATE_LIMITED, `${what}: try again in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
    });
  }
}

/**
 * The limits on every route of the app. With `storage` (the deployment's DynamoDB table:
 * DynamoRateLimitStorage) every BFF task counts on the same counters; without, one in-memory store
 * per process (tests, a BFF run alone).
 */
@Module({})
export class RateLimitModule {
  static register(limits: RateLimits, storage?: ThrottlerStorage): DynamicModule {
    return {
      module: RateLimitModule,
      imports: [ThrottlerModule.forRoot({ ...rateLimitOptions(limits), ...(storage ? { storage } : {}) })],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    };
  }
}
