import 'reflect-metadata';

import { createLogger } from '@imagegen/shared/util-logging';

import { BffConfigError, loadBffConfig } from './app/bff-config';
import { createBffApp } from './app/create-app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadBffConfig(process.env);
  } catch (err) {
    if (err instanceof BffConfigError) {
      console.error(`imagegen BFF cannot start:\n${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ service: 'bff', level: config.LOG_LEVEL });
  const { app, shutdown } = await createBffApp(config, { logger });
  const server = app.getHttpServer();
  // Longer than the ALB's 60 s idle timeout, so the ALB never reuses a socket we are closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await app.listen(config.PORT, config.HOST);
  // SIGTERM (ECS) or SIGINT: drain, then exit 0; past SHUTDOWN_DEADLINE_MS exit 1.
  shutdown.exitOnSignals({ server, close: () => app.close() });
  const address = server.address();
  logger.info(
    { host: config.HOST, port: typeof address === 'object' && address ? address.port : config.PORT },
    'listening',
  );
}

void main();
