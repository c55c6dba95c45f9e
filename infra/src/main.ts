import { App } from 'aws-cdk-lib';

import { buildImagegen } from './app';
import { ConfigError, loadConfig } from './config';

const app = new App();
try {
  const config = loadConfig(app.node.tryGetContext('imagegen'), process.env);
  buildImagegen(app, config);
  app.synth();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
