import { ConfigError, DEFAULT_CONFIG, loadConfig } from './config';

describe(loadConfig.name, () => {
  it('synthesizes with defaults alone: no account, Bedrock in us-west-2, one NAT, two AZs', () => {
    expect(loadConfig(undefined, {})).toEqual(DEFAULT_CONFIG);
  });

  it('takes cdk.json context, then IMAGEGEN_* variables over it', () => {
    const config = loadConfig({ natGateways: 2, minTasks: 3 }, { IMAGEGEN_NAT_GATEWAYS: '1', IMAGEGEN_BEDROCK_CONCURRENCY: '8', IMAGEGEN_COGNITO: 'false' });
    expect(config).toMatchObject({ natGateways: 1, minTasks: 3, bedrockConcurrency: 8, cognito: false });
  });

  it('reports every bad setting at once, by name', () => {
    let message = '';
    try {
      loadConfig({ maxAzs: 1, natGateways: 3, region: 'Oregon', cognito: true, colour: 'blue', account: '12' }, {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const part of ['unknown setting colour', 'maxAzs must be a whole number from 2 to 6', 'region must be an AWS region', 'account must be a 12-digit', 'cognito needs domainName', 'natGateways cannot be more than maxAzs']) {
      expect(message).toContain(part);
    }
  });
});
