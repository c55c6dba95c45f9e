import { defineSettings, parseSettings, printable, setting, SettingsError } from './settings';
import { readSettingsTable, settingsTableProblems } from './settings-table';

const schema = defineSettings(
  {
    PORT: setting.int({ min: 0, max: 65535, default: 3333, description: 'port' }),
    table: setting.string({ name: 'GENERATIONS_TABLE', required: true, description: 'jobs table' }),
    SECRET: setting.string({ minLength: 32, required: true, secret: true, description: 'signs cookies' }),
    RATE: setting.number({ min: 0, max: 1, description: 'share of failures' }),
    DEBUG: setting.boolean({ default: false, description: 'debug' }),
    LEVEL: setting.oneOf(['info', 'warn'] as const, { default: 'info', description: 'log level' }),
    URL: setting.url({ protocols: ['https'], description: 'issuer' }),
    DENIED: setting.list({ description: 'model ids' }),
    MIN: setting.int({ min: 1, max: 10, default: 1, description: 'fewest' }),
    MAX: setting.int({ min: 1, max: 10, default: 5, description: 'most' }),
  },
  ({ MIN, MAX }) =>
    MIN !== undefined && MAX !== undefined && MIN > MAX ? ['MIN cannot be more than MAX'] : [],
);
const GOOD = { GENERATIONS_TABLE: 'jobs', SECRET: 'x'.repeat(32) };

describe(parseSettings.name, () => {
  it('fills defaults, converts types, reads a setting by its own name, and leaves optional ones out', () => {
    // When only the required settings are given
    const values = parseSettings(schema, GOOD);
    // Then the rest take their defaults and the unset optional ones are absent
    expect(values).toEqual({
      PORT: 3333,
      table: 'jobs',
      SECRET: 'x'.repeat(32),
      DEBUG: false,
      LEVEL: 'info',
      MIN: 1,
      MAX: 5,
    });
    expect('RATE' in values).toBe(false);
    // And given values are typed (a typed record: values.PORT is a number)
    const typed = parseSettings(schema, {
      ...GOOD,
      PORT: ' 0 ',
      RATE: '0.25',
      DEBUG: '1',
      LEVEL: 'warn',
      URL: 'https://issuer.example.com/pool',
      DENIED: 'a, b,,c',
    });
    const port: number = typed.PORT;
    expect([port, typed.RATE, typed.DEBUG, typed.LEVEL, typed.URL, typed.DENIED]).toEqual([
      0,
      0.25,
      true,
      'warn',
      'https://issuer.example.com/pool',
      ['a', 'b', 'c'],
    ]);
  });

  it('takes numbers and booleans from JSON (CDK context) as they are', () => {
    expect(parseSettings(schema, { ...GOOD, PORT: 8080, DEBUG: true })).toMatchObject({
      PORT: 8080,
      DEBUG: true,
    });
  });

  it('treats an empty or blank value as unset', () => {
    expect(parseSettings(schema, { ...GOOD, PORT: '', RATE: '  ' })).toMatchObject({ PORT: 3333 });
    expect(() => parseSettings(schema, { ...GOOD, GENERATIONS_TABLE: ' ' })).toThrow(
      'setting GENERATIONS_TABLE is missing',
    );
  });

  it('reports every bad setting at once, each by name with what it expects, never echoing a secret', () => {
    // Given many bad settings
    const env = {
      PORT: 'http',
      SECRET: 'hunter2',
      RATE: '2',
      DEBUG: 'yes',
      LEVEL: 'loud',
      URL: 'http://issuer.example.com',
      MIN: '7',
      MAX: '3.5',
    };
    // When they are parsed
    let error: SettingsError | undefined;
    try {
      parseSettings(schema, env);
    } catch (err) {
      error = err as SettingsError;
    }
    // Then one error lists them all, in the schema's order
    expect(error).toBeInstanceOf(SettingsError);
    expect(error?.problems).toEqual([
      'setting PORT must be a whole number from 0 to 65535 (got "http")',
      'setting GENERATIONS_TABLE is missing',
      'setting SECRET must be at least 32 characters',
      'setting RATE must be a number from 0 to 1 (got "2")',
      'setting DEBUG must be true or false (got "yes")',
      'setting LEVEL must be one of info, warn (got "loud")',
      'setting URL must be an absolute https URL (got "http://issuer.example.com")',
      'setting MAX must be a whole number from 1 to 10 (got "3.5")',
    ]);
    expect(error?.message).toContain('- setting PORT must be');
    expect(error?.message).not.toContain('hunter2');
  });

  it('runs the rules across settings on every value of the right type, even one out of range', () => {
    expect(() => parseSettings(schema, { ...GOOD, MIN: '7', MAX: '3' })).toThrow(
      'MIN cannot be more than MAX',
    );
    // A value out of range is still compared: both problems are reported
    expect(() => parseSettings(schema, { ...GOOD, MIN: '11', MAX: '3' })).toThrow(
      /MIN must be a whole number from 1 to 10[\s\S]*MIN cannot be more than MAX/,
    );
  });

  it('refuses unknown keys when asked (a record of settings only), and throws the caller’s error class', () => {
    class DeployError extends SettingsError {
      override readonly name = 'DeployError';
    }
    expect(() =>
      parseSettings(
        schema,
        { ...GOOD, colour: 'blue' },
        { refuseUnknown: true, error: DeployError, title: 'deploy' },
      ),
    ).toThrow(DeployError);
    expect(() => parseSettings(schema, { ...GOOD, colour: 'blue' }, { refuseUnknown: true })).toThrow(
      'settings:\n- unknown setting colour',
    );
    expect(parseSettings(schema, { ...GOOD, HOME: '/root' })).not.toHaveProperty('HOME');
  });

  it('uses the phrase a setting gives for what it expects, and a custom type’s own problems', () => {
    const custom = defineSettings({
      TIMEOUT: setting.int({
        min: 29_001,
        max: 120_000,
        default: 31_000,
        expected: 'more than 29000',
        description: 't',
      }),
      LATENCY: setting.custom<number | 'realistic'>({
        type: 'latency',
        expected: '"realistic" or a number of ms',
        description: 'l',
        coerce: (raw) =>
          raw === 'realistic'
            ? { value: raw }
            : /^\d+$/.test(String(raw))
              ? { value: Number(raw) }
              : { problem: '' },
      }),
    });
    expect(() => parseSettings(custom, { TIMEOUT: '25000' })).toThrow(
      'setting TIMEOUT must be more than 29000',
    );
    expect(() => parseSettings(custom, { LATENCY: 'slow' })).toThrow(
      'setting LATENCY must be "realistic" or a number of ms (got "slow")',
    );
    expect(parseSettings(custom, { LATENCY: '40' }).LATENCY).toBe(40);
  });

  it('masks secrets in what may be logged', () => {
    expect(printable(schema, parseSettings(schema, GOOD))).toMatchObject({ SECRET: '***', table: 'jobs' });
  });
});

describe(settingsTableProblems.name, () => {
  const doc = [
    '## Settings',
    '',
    '### Service',
    '',
    '| setting | default | what it does |',
    '|---|---|---|',
    '| `PORT` | `3333` | port |',
    '| `GENERATIONS_TABLE` | — (required) | jobs table |',
    '| `MIN` / `MAX` | `1` / `5` | fewest |',
    '| `AWS_REGION` | unset | the SDK’s |',
    '',
    '### Other',
    '| `RATE` | unset | share of failures |',
  ].join('\n');

  it('reads the table under a heading, one entry per name of a combined row', () => {
    expect(readSettingsTable(doc, 'Service')).toEqual([
      { names: ['PORT'], defaults: ['`3333`'], description: 'port' },
      { names: ['GENERATIONS_TABLE'], defaults: ['— (required)'], description: 'jobs table' },
      { names: ['MIN', 'MAX'], defaults: ['`1`', '`5`'], description: 'fewest' },
      { names: ['AWS_REGION'], defaults: ['unset'], description: 'the SDK’s' },
    ]);
  });

  it('names each setting the docs miss, get wrong or invent', () => {
    const problems = settingsTableProblems(schema, readSettingsTable(doc, 'Service'), {
      alsoDocumented: ['AWS_REGION'],
      undocumented: ['URL', 'DENIED', 'DEBUG', 'LEVEL'],
    });
    expect(problems).toEqual([
      'MAX: the docs say "fewest", the code "most"',
      'SECRET is not documented',
      'RATE is not documented',
    ]);
  });
});
