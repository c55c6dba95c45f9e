import 'reflect-metadata';

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
  const app = await createBffApp(config);
  const server = app.getHttpServer();
  // Longer than the ALB's 60 s idle timeout, so the ALB never reuses a socket we are closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await app.listen(config.PORT, config.HOST);
}

void main();
