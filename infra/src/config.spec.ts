import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DEPLOY_SETTINGS } from '@imagegen/infra/util-deploy-settings';
import { readSettingsTable, settingsTableProblems } from '@imagegen/shared/util-config';

import { cognitoDomainPrefixOf, ConfigError, DEFAULT_CONFIG, loadConfig } from './config';
import { repoRoot } from './repo-root';

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

  it('takes the operator settings: an alarm mail address (optional) and the alarm thresholds, checked', () => {
    const config = loadConfig(undefined, {
      IMAGEGEN_ALARM_EMAIL: 'ops@example.com',
      IMAGEGEN_ALARM_SPEND_USD_PER_DAY: '200',
      IMAGEGEN_ALARM_ERROR_RATE_PERCENT: '25',
      IMAGEGEN_ALARM_QUEUE_AGE_SECONDS: '300',
    });
    expect(config).toMatchObject({
      alarmEmail: 'ops@example.com',
      alarmSpendUsdPerDay: 200,
      alarmErrorRatePercent: 25,
      alarmQueueAgeSeconds: 300,
    });
    expect(() =>
      loadConfig({ alarmEmail: 'not-a-mail', alarmErrorRatePercent: 0, alarmQueueAgeSeconds: 10 }, {}),
    ).toThrow(
      /alarmErrorRatePercent must be a whole number from 1 to 100[\s\S]*alarmQueueAgeSeconds must be a whole number from 60[\s\S]*alarmEmail must be an email address/,
    );
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

  it('bounds the worker by the queue mapping’s MaximumConcurrency (2 to 1,000) and reserves nothing unless asked', () => {
    expect(loadConfig(undefined, {}).workerReservedConcurrency).toBe(0);
    expect(() => loadConfig({ bedrockConcurrency: 1 }, {})).toThrow(
      'bedrockConcurrency must be a whole number from 2 to 1000',
    );
    // a reservation below the mapping's bound would throttle the queue's deliveries
    expect(() => loadConfig({ bedrockConcurrency: 4, workerReservedConcurrency: 2 }, {})).toThrow(
      'workerReservedConcurrency, when set, must be at least bedrockConcurrency',
    );
    expect(
      loadConfig(undefined, { IMAGEGEN_WORKER_RESERVED_CONCURRENCY: '8' }).workerReservedConcurrency,
    ).toBe(8);
  });

  it('refuses links longer than an hour: they are signed with role credentials and die with them', () => {
    expect(() => loadConfig({ presignExpirySeconds: 3601 }, {})).toThrow(
      'presignExpirySeconds must be a whole number from 60 to 3600',
    );
    expect(loadConfig({ presignExpirySeconds: 3600 }, {}).presignExpirySeconds).toBe(3600);
  });

  it('refuses a domain without an account: the hosted-zone lookup needs an explicit environment', () => {
    expect(() => loadConfig({ domainName: 'images.example.com', hostedZoneName: 'example.com' }, {})).toThrow(
      /domainName needs account/,
    );
    expect(
      loadConfig(
        { domainName: 'images.example.com', hostedZoneName: 'example.com', account: '123456789012' },
        {},
      ).domainName,
    ).toBe('images.example.com');
  });

  it('is what docs/deploy.md says: every default in its settings table is the code’s', () => {
    // Given the settings table of docs/deploy.md (`name` | `default` | meaning; "a / b" rows name two)
    const doc = readFileSync(join(repoRoot(), 'docs/deploy.md'), 'utf8');
    const documented = new Map<string, string>();
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells.length < 4) continue;
      const names = [...cells[1].matchAll(/`(\w+)`/g)].map((m) => m[1]);
      const values = [...cells[2].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      if (names.length > 0 && names.length === values.length)
        names.forEach((n, k) => documented.set(n, values[k]));
    }
    // Then every default setting is documented, with the value DEFAULT_CONFIG has
    for (const [key, value] of Object.entries(DEFAULT_CONFIG))
      expect({ key, documented: documented.get(key) }).toEqual({ key, documented: String(value) });
  });

  it('takes budgets in dollars to the cent, the daily one within the monthly one (ADR 0015)', () => {
    expect(loadConfig({ budgetOwnerDailyUsd: 0.5, budgetMonthlyUsd: 1500 }, {})).toMatchObject({
      budgetOwnerDailyUsd: 0.5,
      budgetMonthlyUsd: 1500,
    });
    expect(loadConfig({}, { IMAGEGEN_BUDGET_OWNER_MONTHLY_USD: '12.5' }).budgetOwnerMonthlyUsd).toBe(12.5);
    expect(() => loadConfig({ budgetOwnerDailyUsd: 0 }, {})).toThrow(
      /budgetOwnerDailyUsd must be a number from 0.01 to 1000000/,
    );
    expect(() => loadConfig({ budgetMonthlyUsd: 1.234 }, {})).toThrow(
      /budgetMonthlyUsd must be an amount in dollars to the cent/,
    );
    expect(() => loadConfig({ budgetOwnerDailyUsd: 30 }, {})).toThrow(
      /budgetOwnerDailyUsd cannot be more than budgetOwnerMonthlyUsd/,
    );
    expect(() => loadConfig({ maxImagesInFlightPerOwner: 0 }, {})).toThrow(
      /maxImagesInFlightPerOwner must be/,
    );
    expect(() => loadConfig({ rateLimitCreatePerIpPerMinute: 0 }, {})).toThrow(
      /rateLimitCreatePerIpPerMinute/,
    );
  });

  it('is what docs/deploy.md says: every setting in its table, with the code’s default and meaning', () => {
    const doc = readFileSync(join(repoRoot(), 'docs/deploy.md'), 'utf8');
    expect(settingsTableProblems(DEPLOY_SETTINGS, readSettingsTable(doc, 'Settings'))).toEqual([]);
  });

  it('refuses a setting that is not true or false, from cdk.json or a variable', () => {
    expect(() => loadConfig({}, { IMAGEGEN_IMAGE_VERSIONING: 'yes' })).toThrow(
      'imageVersioning must be true or false',
    );
    expect(() => loadConfig({ cognito: 'true!' }, {})).toThrow('cognito must be true or false');
  });

  it('gives each account and region its own Cognito domain prefix, unless one is set', () => {
    const base = {
      ...DEFAULT_CONFIG,
      cognito: true,
      domainName: 'a.example.com',
      hostedZoneName: 'example.com',
    };
    const a = cognitoDomainPrefixOf({ ...base, account: '111111111111' });
    const b = cognitoDomainPrefixOf({ ...base, account: '222222222222' });
    const c = cognitoDomainPrefixOf({ ...base, account: '111111111111', region: 'eu-west-1' });
    expect(new Set([a, b, c]).size).toBe(3);
    expect(cognitoDomainPrefixOf({ ...base, account: '111111111111' })).toBe(a);
    for (const prefix of [a, b, c]) expect(prefix).toMatch(/^imagegen-[0-9a-f]{12}$/);
    expect(
      cognitoDomainPrefixOf({ ...base, account: '111111111111', cognitoDomainPrefix: 'my-images' }),
    ).toBe('my-images');
    expect(() => loadConfig({ cognitoDomainPrefix: 'My_Images' }, {})).toThrow(/cognitoDomainPrefix must be/);
    expect(() => loadConfig({ cognitoDomainPrefix: 'images-' }, {})).toThrow(/cognitoDomainPrefix must be/);
    expect(loadConfig({}, { IMAGEGEN_COGNITO_DOMAIN_PREFIX: 'team-images' }).cognitoDomainPrefix).toBe(
      'team-images',
    );
  });
});
