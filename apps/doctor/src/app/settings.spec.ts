import { loadSettings, SettingsError } from './settings';

describe(loadSettings.name, () => {
  it('takes the defaults of infra/src/config.ts without context, variables or flags', () => {
    expect(loadSettings([], {}, undefined)).toEqual({
      region: 'us-west-2',
      bedrockRegion: 'us-west-2',
      bedrockConcurrency: 4,
      workerReservedConcurrency: 0,
      json: false,
    });
  });

  it('reads cdk.json context, then IMAGEGEN_* variables, then flags, as infra merges them', () => {
    // GIVEN
    const context = {
      region: 'eu-west-1',
      bedrockRegion: 'us-east-1',
      bedrockConcurrency: 8,
      domainName: 'a.example.com',
      hostedZoneName: 'example.com',
      account: '123456789012',
    };
    const env = {
      IMAGEGEN_REGION: 'eu-central-1',
      IMAGEGEN_BEDROCK_CONCURRENCY: '12',
      IMAGEGEN_WORKER_RESERVED_CONCURRENCY: '20',
    };

    // WHEN
    const settings = loadSettings(['--bedrock-region=us-west-2', '--json'], env, context);

    // THEN
    expect(settings).toEqual({
      region: 'eu-central-1',
      bedrockRegion: 'us-west-2',
      bedrockConcurrency: 12,
      workerReservedConcurrency: 20,
      domainName: 'a.example.com',
      json: true,
    });
  });

  it('refuses a bad region, concurrency or argument with a SettingsError', () => {
    expect(() => loadSettings(['--region', 'mars'], {}, undefined)).toThrow(SettingsError);
    // MaximumConcurrency of an SQS event source mapping: 2 at least (CloudFormation reference)
    expect(() => loadSettings([], { IMAGEGEN_BEDROCK_CONCURRENCY: '1' }, undefined)).toThrow(
      /bedrockConcurrency must be a whole number from 2 to 1000/,
    );
    expect(() => loadSettings([], { IMAGEGEN_WORKER_RESERVED_CONCURRENCY: '-1' }, undefined)).toThrow(
      /workerReservedConcurrency/,
    );
    expect(() => loadSettings(['--verbose'], {}, undefined)).toThrow(/unknown argument --verbose/);
    expect(() => loadSettings(['--region'], {}, undefined)).toThrow(/--region needs a value/);
  });

  it('refuses, before any AWS call, the settings infra would refuse at synth (the same checks)', () => {
    // Given a domain without its hosted zone and account, and a setting infra does not know
    const context = { domainName: 'a.example.com', colour: 'blue' };
    // Then the preflight says what synth would say
    expect(() => loadSettings([], {}, context)).toThrow(SettingsError);
    expect(() => loadSettings([], {}, context)).toThrow(
      /unknown setting colour[\s\S]*domainName and hostedZoneName go together[\s\S]*domainName needs account/,
    );
  });
});
