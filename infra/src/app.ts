import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { ImagegenConfig } from './config';
import { AppStack } from './stacks/app-stack';
import { StatefulStack } from './stacks/stateful-stack';

export interface ImagegenStacks {
  readonly stateful: StatefulStack;
  readonly app: AppStack;
}

/** Composes the two stacks on an app and puts cdk-nag's AwsSolutions checks on every synth. */
export function buildImagegen(app: App, config: ImagegenConfig): ImagegenStacks {
  const env = { ...(config.account ? { account: config.account } : {}), region: config.region };
  const origins = config.domainName ? [`https://${config.domainName}`] : ['*'];
  const stateful = new StatefulStack(app, 'ImagegenStateful', {
    env,
    retentionDays: config.retentionDays,
    imageVersioning: config.imageVersioning,
    allowedOrigins: origins,
    description: 'imagegen: images bucket and jobs table',
  });
  const stack = new AppStack(app, 'ImagegenApp', {
    env,
    config,
    description: 'imagegen: network, generator API, web services',
  });
  stack.addStackDependency(stateful, 'imports the images bucket and the jobs table');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, app: stack };
}
