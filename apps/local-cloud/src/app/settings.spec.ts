import { LocalSettingsError, loadLocalCloudSettings } from './settings';

describe(loadLocalCloudSettings.name, () => {
  it('uses the documented ports, data folder and worker budget by default', () => {
    const s = loadLocalCloudSettings({}, '/repo');
    expect(s.ports).toEqual({ web: 4200, bff: 3333, apiGateway: 4010, bedrock: 4011, s3: 4012, dynamodb: 4014, lambda: 4015 });
    expect(s.dataDir).toBe('/repo/.local-cloud');
    expect(s.workerConcurrency).toBe(4);
  });

  it('takes Bedrock stand-in faults from the environment', () => {
    const s = loadLocalCloudSettings({ LOCAL_BEDROCK_LATENCY_MS: '1500', LOCAL_BEDROCK_THROTTLE_RATE: '0.5', LOCAL_BEDROCK_ACCESS_DENIED: 'a, b' }, '/repo');
    expect(s.faults).toEqual({ latencyMs: 1500, throttleRate: 0.5, accessDeniedModels: ['a', 'b'] });
  });

  it.each([
    [{ PORT: 'http' }, 'setting PORT must be a whole number from 0 to 65535'],
    [{ LOCAL_BEDROCK_THROTTLE_RATE: '2' }, 'setting LOCAL_BEDROCK_THROTTLE_RATE must be a number from 0 to 1'],
    [{ LOCAL_WORKER_CONCURRENCY: '0' }, 'setting LOCAL_WORKER_CONCURRENCY must be a whole number from 1 to 100'],
  ])('refuses a bad setting with its name (%p)', (env, message) => {
    expect(() => loadLocalCloudSettings(env, '/repo')).toThrow(LocalSettingsError);
    expect(() => loadLocalCloudSettings(env, '/repo')).toThrow(message);
  });
});
