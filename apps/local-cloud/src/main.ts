import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { callableModels } from '@imagegen/contracts';
import { BedrockFaults, latencyFor } from '@imagegen/local-cloud/feature-bedrock';
import { PortInUseError } from '@imagegen/local-cloud/util-http';
import { createLogger } from '@imagegen/shared/util-logging';

import { startLocalCloud } from './app/local-cloud';
import { prettyStdoutOnTerminal } from './app/pretty-output';
import { loadLocalCloudSettings, LocalSettingsError, PORT_SETTINGS } from './app/settings';

const PORT_NAMES: Readonly<Record<string, string>> = {
  'Bedrock stand-in': PORT_SETTINGS.bedrock[0],
  'S3 stand-in': PORT_SETTINGS.s3[0],
  'DynamoDB stand-in': PORT_SETTINGS.dynamodb[0],
  'Lambda stand-in': PORT_SETTINGS.lambda[0],
  'SQS stand-in': PORT_SETTINGS.sqs[0],
  'API Gateway stand-in': PORT_SETTINGS.apiGateway[0],
};

function describeLatency(latency: BedrockFaults['latencyMs']): string {
  if (latency === 'realistic') {
    const each = callableModels().map(
      (m) => `${m.displayName} ~${latencyFor({ latencyMs: 'realistic' }, m.id) / 1000} s`,
    );
    return `realistic per model (${each.join(', ')})`;
  }
  if (typeof latency === 'number') return latency === 0 ? 'none' : `${latency} ms`;
  return 'per model as set';
}

async function main(): Promise<void> {
  const pretty = prettyStdoutOnTerminal();
  const root = process.cwd();
  const bffEntry = resolve(root, 'dist/apps/bff/main.js');
  const webRoot = resolve(root, 'dist/apps/web/browser');
  for (const [what, path] of [
    ['BFF', bffEntry],
    ['web app', resolve(webRoot, 'index.html')],
  ]) {
    if (!existsSync(path)) {
      console.error(
        `The ${what} is not built (${path} is missing): run \`npm start\`, which builds it first.`,
      );
      process.exit(1);
    }
  }

  let settings;
  try {
    settings = loadLocalCloudSettings(process.env, root);
  } catch (err) {
    if (err instanceof LocalSettingsError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger({ service: 'local-cloud', level: settings.logLevel });
  const started = Date.now();
  let cloud;
  try {
    cloud = await startLocalCloud({ settings, log, app: { bffEntry, webRoot, pipeOutput: pretty } });
  } catch (err) {
    if (err instanceof PortInUseError) {
      const setting = PORT_NAMES[err.what] ?? 'PORT';
      console.error(
        `Port ${err.port} (${err.what}) is already in use: is imagegen already running? Stop it, or pick another port with ${setting}=<port> npm start`,
      );
    } else if (String((err as NodeJS.ErrnoException)?.code) === 'EADDRINUSE') {
      console.error(
        `A port imagegen needs is already in use (${(err as Error).message}): is imagegen already running?`,
      );
    } else {
      console.error(`imagegen could not start: ${(err as Error).message}`);
    }
    process.exit(1);
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      '',
      `  imagegen is ready (${seconds} s): open ${cloud.urls.web}`,
      '',
      '  Running on the embedded local cloud: images come from the offline procedural engine,',
      '  not from a real model. Data is kept in ' +
        settings.dataDir +
        (settings.retentionSweepSeconds > 0 && cloud.retentionDays !== undefined
          ? ` for ${cloud.retentionDays} days.`
          : ' (retention sweep off).'),
      `  AWS settings from the synthesized templates (${cloud.templates.fromCache ? `cached, read in ${cloud.templates.ms} ms` : `synthesized in ${(cloud.templates.ms / 1000).toFixed(1)} s`}): routes, timeouts, retries, concurrency, table, bucket.`,
      `  Model time per image: ${describeLatency(settings.faults.latencyMs)} (LOCAL_BEDROCK_LATENCY_MS).`,
      '  Stop with Ctrl+C.',
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error('imagegen: stopping now');
      process.exit(1);
    }
    stopping = true;
    const graceMs = settings.shutdownGraceSeconds * 1000;
    const since = Date.now();
    log.info({ signal, graceMs }, 'stopping');
    process.stdout.write(
      `\n  Stopping: finishing the images in progress (up to ${settings.shutdownGraceSeconds} s; LOCAL_SHUTDOWN_GRACE_SECONDS)…\n`,
    );
    // Should anything hang past the grace and a margin for the last hand-overs, stop anyway (and say so).
    setTimeout(() => {
      log.error({ signal, ms: Date.now() - since }, 'could not stop in time: exiting');
      process.exit(1);
    }, graceMs + 8_000).unref();
    await cloud.close({ graceMs });
    log.info({ signal, ms: Date.now() - since }, 'stopped');
    process.stdout.write('  Stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();
