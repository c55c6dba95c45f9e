import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createAwsClients, exitCodeOf, renderChecklist, runCommand, runDoctor } from './app/doctor';
import { loadSettings, SettingsError } from './app/settings';

/** The `imagegen` context of infra/cdk.json (run from the workspace root, as npm scripts are). */
function cdkContext(): Record<string, unknown> | undefined {
  try {
    const cdk = JSON.parse(readFileSync(join(process.cwd(), 'infra', 'cdk.json'), 'utf8')) as {
      context?: { imagegen?: Record<string, unknown> };
    };
    return cdk.context?.imagegen;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let settings;
  try {
    settings = loadSettings(process.argv.slice(2), process.env, cdkContext());
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const report = await runDoctor({
    settings,
    clients: createAwsClients(settings),
    run: runCommand,
    docker: process.env['CDK_DOCKER'] || 'docker',
  });
  process.stdout.write(settings.json ? JSON.stringify(report, null, 2) + '\n' : renderChecklist(report));
  return exitCodeOf(report);
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
