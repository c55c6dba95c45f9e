/**
 * API Gateway's throttle: a token bucket per stage, `burstLimit` tokens at most, refilled at
 * `rateLimit` tokens a second; a request that finds no whole token is refused 429 ("Throttle API
 * requests for better throughput",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
 */
export interface Throttle {
  /** Steady requests per second (MethodSettings ThrottlingRateLimit). */
  readonly rateLimit: number;
  /** Bucket size: requests at once above the steady rate (MethodSettings ThrottlingBurstLimit). */
  readonly burstLimit: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly throttle: Throttle,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = throttle.burstLimit;
    this.last = now();
  }

  /** Takes a token: false when the bucket is empty (the request is throttled). */
  take(): boolean {
    const at = this.now();
    const elapsedSeconds = Math.max(0, at - this.last) / 1000;
    this.last = at;
    this.tokens = Math.min(this.throttle.burstLimit, this.tokens + elapsedSeconds * this.throttle.rateLimit);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
