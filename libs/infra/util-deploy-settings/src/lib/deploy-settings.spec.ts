import {
  DEFAULT_DEPLOY_SETTINGS,
  deployEnvName,
  DeploySettingsError,
  loadDeploySettings,
} from './deploy-settings';

describe(loadDeploySettings.name, () => {
  it('names each setting’s variable IMAGEGEN_ and its name in upper snake case', () => {
    expect(deployEnvName('natGateways')).toBe('IMAGEGEN_NAT_GATEWAYS');
    expect(deployEnvName('rateLimitIpPerMinute')).toBe('IMAGEGEN_RATE_LIMIT_IP_PER_MINUTE');
  });

  it('merges defaults, then cdk.json context, then variables', () => {
    // Given a context value and a variable for the same setting, and another from the context alone
    const settings = loadDeploySettings(
      { region: 'eu-west-1', maxAzs: 3, account: 123456789012 },
      { IMAGEGEN_REGION: 'eu-central-1', IMAGEGEN_COGNITO: 'false', IMAGEGEN_MIN_TASKS: ' ' },
    );
    // Then the variable wins, the context fills the rest, and a blank variable is no value
    expect(settings).toMatchObject({
      region: 'eu-central-1',
      maxAzs: 3,
      account: '123456789012',
      cognito: false,
      minTasks: DEFAULT_DEPLOY_SETTINGS.minTasks,
    });
  });

  it('reports a variable’s bad value and an unknown context key in one error', () => {
    expect(() => loadDeploySettings({ colour: 'blue' }, { IMAGEGEN_BEDROCK_CONCURRENCY: 'many' })).toThrow(
      DeploySettingsError,
    );
    expect(() => loadDeploySettings({ colour: 'blue' }, { IMAGEGEN_BEDROCK_CONCURRENCY: 'many' })).toThrow(
      /bedrockConcurrency must be a whole number from 2 to 1000 \(got "many"\)[\s\S]*unknown setting colour/,
    );
  });
});
