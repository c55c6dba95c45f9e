import { ConfigError, DEFAULT_CONFIG, loadConfig } from './config';

describe(loadConfig.name, () => {
  it('synthesizes with defaults alone: no account, Bedrock in us-west-2, one NAT, two AZs', () => {
    expect(loadConfig(undefined, {})).toEqual(DEFAULT_CONFIG);
  });

  it('takes cdk.json context, then IMAGEGEN_* variables over it', () => {
    const config = loadConfig(
      { natGateways: 2, minTasks: 3 },
      { IMAGEGEN_NAT_GATEWAYS: '1', IMAGEGEN_BEDROCK_CONCURRENCY: '8', IMAGEGEN_COGNITO: 'false' },
    );
    expect(config).toMatchObject({ natGateways: 1, minTasks: 3, bedrockConcurrency: 8, cognito: false });
  });

  it('reports every bad setting at once, by name', () => {
    let message = '';
    try {
      loadConfig(
        { maxAzs: 1, natGateways: 3, region: 'Oregon', cognito: true, colour: 'blue', account: '12' },
        {},
      );
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const part of [
      'unknown setting colour',
      'maxAzs must be a whole number from 2 to 6',
      'region must be an AWS region',
      'account must be a 12-digit',
      'cognito needs domainName',
      'natGateways cannot be more than maxAzs',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('takes the rate limits as settings: API stage throttle, WAF rule and the BFF’s own, checked by range', () => {
    // Given rate limits from IMAGEGEN_* variables
    const config = loadConfig(undefined, {
      IMAGEGEN_API_RATE_LIMIT: '50',
      IMAGEGEN_API_BURST_LIMIT: '100',
      IMAGEGEN_WAF_RATE_LIMIT: '10000',
      IMAGEGEN_RATE_LIMIT_IP_PER_MINUTE: '1200',
      IMAGEGEN_RATE_LIMIT_OWNER_PER_MINUTE: '240',
      IMAGEGEN_RATE_LIMIT_CREATE_PER_MINUTE: '12',
    });
    // Then each is taken
    expect(config).toMatchObject({
      apiRateLimit: 50,
      apiBurstLimit: 100,
      wafRateLimit: 10_000,
      rateLimitIpPerMinute: 1200,
      rateLimitOwnerPerMinute: 240,
      rateLimitCreatePerMinute: 12,
    });
    // And values out of range are refused by name (the WAF cannot count fewer than 10 requests)
    expect(() => loadConfig({ wafRateLimit: 5, rateLimitIpPerMinute: 1 }, {})).toThrow(
      'wafRateLimit must be a whole number from 10 to',
    );
    expect(() => loadConfig({ rateLimitCreatePerMinute: 0 }, {})).toThrow(
      'rateLimitCreatePerMinute must be a whole number from 1 to',
    );
    expect(() => loadConfig({ rateLimitOwnerPerMinute: 2.5 }, {})).toThrow(
      'rateLimitOwnerPerMinute must be a whole number',
    );
  });

  it('keeps the WAF’s per-IP limit above the BFF’s, so a busy person gets the BFF’s 429 with Retry-After, not a WAF 403', () => {
    // Given a WAF limit (per 5 minutes) below 5 × the BFF's per-IP limit (per minute)
    // When the settings are loaded
    // Then they are refused, saying why
    expect(() => loadConfig({ wafRateLimit: 2999, rateLimitIpPerMinute: 600 }, {})).toThrow(
      /wafRateLimit \(per 5 minutes\) must be at least 5 × rateLimitIpPerMinute/,
    );
    expect(loadConfig({ wafRateLimit: 3000, rateLimitIpPerMinute: 600 }, {}).wafRateLimit).toBe(3000);
    expect(DEFAULT_CONFIG.wafRateLimit).toBeGreaterThanOrEqual(5 * DEFAULT_CONFIG.rateLimitIpPerMinute);
  });
});
