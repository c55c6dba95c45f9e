import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { readSettingsTable, settingsTableProblems } from '@imagegen/shared/util-config';

import { loadLocalCloudSettings, LOCAL_CLOUD_SETTINGS, LocalSettingsError } from './settings';

describe(loadLocalCloudSettings.name, () => {
  it('uses the documented ports, data folder and worker budget by default', () => {
    const s = loadLocalCloudSettings({}, '/repo');
    expect(s.ports).toEqual({
      web: 4200,
      bff: 3333,
      apiGateway: 4010,
      bedrock: 4011,
      s3: 4012,
      dynamodb: 4014,
      lambda: 4015,
      sqs: 4016,
    });
    expect(s.dataDir).toBe('/repo/.local-cloud');
    // The worker's concurrency and the retention come from the template unless set here
    expect(s.workerConcurrency).toBeUndefined();
    expect(s.retentionDays).toBeUndefined();
    expect(s.retentionSweepSeconds).toBe(300);
    expect(s.shutdownGraceSeconds).toBe(20);
  });

  it("holds the API stage's throttle from the template unless LOCAL_API_THROTTLE=off, and refuses anything else", () => {
    expect(loadLocalCloudSettings({}, '/repo').apiThrottle).toBe(true);
    expect(loadLocalCloudSettings({ LOCAL_API_THROTTLE: 'off' }, '/repo').apiThrottle).toBe(false);
    expect(() => loadLocalCloudSettings({ LOCAL_API_THROTTLE: 'no' }, '/repo')).toThrow(LocalSettingsError);
  });

  it('gives each model its realistic latency, with jitter, unless told otherwise', () => {
    expect(loadLocalCloudSettings({}, '/repo').faults).toEqual({
      latencyMs: 'realistic',
      latencyJitter: 0.2,
    });
    // GIVEN what tests and benchmarks pass: no model time, or exactly 1 s
    expect(loadLocalCloudSettings({ LOCAL_BEDROCK_LATENCY_MS: '0' }, '/repo').faults).toEqual({
      latencyMs: 0,
    });
    expect(loadLocalCloudSettings({ LOCAL_BEDROCK_LATENCY_MS: '1000' }, '/repo').faults).toEqual({
      latencyMs: 1000,
    });
    // AND a map per model, with a jitter of its own
    const map = loadLocalCloudSettings(
      {
        LOCAL_BEDROCK_LATENCY_MS: '{"default": 500, "stability.stable-image-ultra-v1:1": 4000}',
        LOCAL_BEDROCK_LATENCY_JITTER: '0.1',
      },
      '/repo',
    );
    expect(map.faults).toEqual({
      latencyMs: { default: 500, 'stability.stable-image-ultra-v1:1': 4000 },
      latencyJitter: 0.1,
    });
  });

  it('takes the retention from RETENTION_DAYS and the sweep interval, 0 turning the sweeper off', () => {
    const s = loadLocalCloudSettings({ RETENTION_DAYS: '7', LOCAL_RETENTION_SWEEP_SECONDS: '0' }, '/repo');
    expect([s.retentionDays, s.retentionSweepSeconds]).toEqual([7, 0]);
  });

  it('takes Bedrock stand-in faults from the environment', () => {
    const s = loadLocalCloudSettings(
      {
        LOCAL_BEDROCK_LATENCY_MS: '1500',
        LOCAL_BEDROCK_THROTTLE_RATE: '0.5',
        LOCAL_BEDROCK_ACCESS_DENIED: 'a, b',
      },
      '/repo',
    );
    expect(s.faults).toEqual({ latencyMs: 1500, throttleRate: 0.5, accessDeniedModels: ['a', 'b'] });
  });

  it.each([
    [{ PORT: 'http' }, 'setting PORT must be a whole number from 0 to 65535'],
    [
      { LOCAL_BEDROCK_THROTTLE_RATE: '2' },
      'setting LOCAL_BEDROCK_THROTTLE_RATE must be a number from 0 to 1',
    ],
    [
      { LOCAL_WORKER_CONCURRENCY: '0' },
      'setting LOCAL_WORKER_CONCURRENCY must be a whole number from 1 to 100',
    ],
    [{ LOCAL_BEDROCK_LATENCY_MS: '{"default": 5' }, 'setting LOCAL_BEDROCK_LATENCY_MS is not valid JSON'],
    [
      { LOCAL_BEDROCK_LATENCY_MS: 'slow' },
      'setting LOCAL_BEDROCK_LATENCY_MS must be "realistic", a number of ms',
    ],
    [
      { LOCAL_BEDROCK_LATENCY_MS: '{"default": "fast"}' },
      'setting LOCAL_BEDROCK_LATENCY_MS must be "realistic", a number of ms',
    ],
    [
      { LOCAL_BEDROCK_LATENCY_JITTER: '1.5' },
      'setting LOCAL_BEDROCK_LATENCY_JITTER must be a number from 0 to 1',
    ],
    [{ RETENTION_DAYS: '0' }, 'setting RETENTION_DAYS must be a whole number from 1 to 3650'],
    [
      { LOCAL_RETENTION_SWEEP_SECONDS: '-1' },
      'setting LOCAL_RETENTION_SWEEP_SECONDS must be a whole number from 0 to 86400',
    ],
    [
      { LOCAL_SHUTDOWN_GRACE_SECONDS: 'soon' },
      'setting LOCAL_SHUTDOWN_GRACE_SECONDS must be a whole number from 0 to 600',
    ],
  ])('refuses a bad setting with its name (%p)', (env, message) => {
    expect(() => loadLocalCloudSettings(env, '/repo')).toThrow(LocalSettingsError);
    expect(() => loadLocalCloudSettings(env, '/repo')).toThrow(message);
  });

  it('reports every bad setting at once', () => {
    expect(() =>
      loadLocalCloudSettings({ PORT: 'http', LOCAL_IAM: 'maybe', RETENTION_DAYS: '0' }, '/repo'),
    ).toThrow(/PORT must be[\s\S]*LOCAL_IAM must be one of enforce, off[\s\S]*RETENTION_DAYS must be/);
  });

  it('is what the README says: every setting in its local cloud table, with the code’s default and description', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    // LOG_FORMAT is read where stdout is set up, before the settings (pretty-output.ts).
    expect(
      settingsTableProblems(LOCAL_CLOUD_SETTINGS, readSettingsTable(readme, 'Local cloud'), {
        alsoDocumented: ['LOG_FORMAT'],
      }),
    ).toEqual([]);
  });
});
