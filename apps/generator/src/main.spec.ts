import * as entry from './main';

describe('generator Lambda entry', () => {
  it('exports the API and worker handlers the CDK functions name', () => {
    expect(typeof entry.apiHandler).toBe('function');
    expect(typeof entry.workerHandler).toBe('function');
  });

  it('refuses to start the API without its settings, naming the missing one', async () => {
    const saved = { ...process.env };
    delete process.env['GENERATIONS_TABLE'];
    await expect(entry.apiHandler({} as never)).rejects.toThrow('setting GENERATIONS_TABLE is missing');
    process.env = saved;
  });
});
