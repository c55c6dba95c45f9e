import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { readSettingsTable, settingsTableProblems } from '@imagegen/shared/util-config';

import { API_SETTINGS, BUDGET_DEFAULTS, loadGeneratorSettings } from './settings';

const BASE = {
  GENERATIONS_TABLE: 'jobs',
  IMAGES_BUCKET: 'images',
  WORKER_QUEUE_URL: 'https://sqs.us-west-2.amazonaws.com/123456789012/worker',
};

describe(loadGeneratorSettings.name, () => {
  it('fills the defaults: Bedrock in us-west-2, 15-minute links, 3 attempts of 60 s', () => {
    expect(loadGeneratorSettings(BASE, 'api')).toMatchObject({
      bedrockRegion: 'us-west-2',
      presignExpirySeconds: 900,
      bedrockMaxAttempts: 3,
      bedrockTimeoutMs: 60_000,
      s3ForcePathStyle: false,
      workerQueueUrl: 'https://sqs.us-west-2.amazonaws.com/123456789012/worker',
    });
  });

  it.each([
    [{ ...BASE, GENERATIONS_TABLE: '' }, 'api', 'setting GENERATIONS_TABLE is missing'],
    [{ ...BASE, WORKER_QUEUE_URL: undefined }, 'api', 'setting WORKER_QUEUE_URL is missing'],
    [
      { ...BASE, PRESIGN_EXPIRY_SECONDS: 'soon' },
      'api',
      'setting PRESIGN_EXPIRY_SECONDS must be a whole number',
    ],
    [
      { ...BASE, PRESIGN_EXPIRY_SECONDS: '700000' },
      'api',
      'setting PRESIGN_EXPIRY_SECONDS must be a whole number from 1 to 3600',
    ],
    // Links signed with the Lambda role's temporary credentials cannot outlive them: an hour at most.
    [
      { ...BASE, PRESIGN_EXPIRY_SECONDS: '3601' },
      'api',
      'setting PRESIGN_EXPIRY_SECONDS must be a whole number from 1 to 3600',
    ],
    [{ ...BASE, S3_FORCE_PATH_STYLE: 'yes' }, 'worker', 'setting S3_FORCE_PATH_STYLE must be true or false'],
    [{ ...BASE, LOG_LEVEL: 'loud' }, 'worker', 'setting LOG_LEVEL must be one of'],
  ] as const)('refuses to start with a message naming the setting (%#)', (env, role, message) => {
    expect(() => loadGeneratorSettings(env as NodeJS.ProcessEnv, role)).toThrow(message);
  });

  it('does not need the worker name in the worker', () => {
    const { WORKER_QUEUE_URL: _omit, ...env } = BASE;
    expect(loadGeneratorSettings(env, 'worker').workerQueueUrl).toBeUndefined();
  });
});

const loadBudgetSettings = (env: NodeJS.ProcessEnv) =>
  loadGeneratorSettings({ ...BASE, ...env }, 'worker').budgets;

describe('the budget settings', () => {
  it('has defaults, and reads dollars to the cent and the per-owner image cap', () => {
    expect(loadBudgetSettings({})).toEqual(BUDGET_DEFAULTS);
    expect(
      loadBudgetSettings({
        BUDGET_DEPLOYMENT_MONTHLY_USD: '1500',
        BUDGET_OWNER_DAILY_USD: '0.50',
        BUDGET_OWNER_MONTHLY_USD: '12.5',
        MAX_IMAGES_IN_FLIGHT_PER_OWNER: '3',
      }),
    ).toEqual({
      deploymentMonthlyUsd: 1500,
      ownerDailyUsd: 0.5,
      ownerMonthlyUsd: 12.5,
      ownerImagesInFlight: 3,
    });
  });

  it.each([
    [{ BUDGET_OWNER_DAILY_USD: '0' }, 'setting BUDGET_OWNER_DAILY_USD must be a number from 0.01'],
    [{ BUDGET_OWNER_MONTHLY_USD: '1.234' }, 'setting BUDGET_OWNER_MONTHLY_USD must be an amount in dollars'],
    [{ BUDGET_DEPLOYMENT_MONTHLY_USD: 'lots' }, 'setting BUDGET_DEPLOYMENT_MONTHLY_USD must be'],
    [
      { MAX_IMAGES_IN_FLIGHT_PER_OWNER: '0' },
      'setting MAX_IMAGES_IN_FLIGHT_PER_OWNER must be a whole number',
    ],
  ])('refuses a bad budget setting by name (%#)', (env, message) => {
    expect(() => loadBudgetSettings(env)).toThrow(message);
  });
});

describe('the generator settings table of the README', () => {
  it('lists every setting, with the code’s default and description', () => {
    const readme = readFileSync(join(__dirname, '../../../../../README.md'), 'utf8');
    const problems = settingsTableProblems(API_SETTINGS, readSettingsTable(readme, 'Generator'), {
      // The AWS SDK reads its own endpoint overrides; the Lambda runtime sets AWS_REGION.
      alsoDocumented: [
        'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
        'AWS_ENDPOINT_URL_BEDROCK',
        'AWS_ENDPOINT_URL_S3',
        'AWS_ENDPOINT_URL_DYNAMODB',
        'AWS_ENDPOINT_URL_LAMBDA',
      ],
      undocumented: ['AWS_REGION'],
    });
    expect(problems).toEqual([]);
  });
});
