import { createHash } from 'node:crypto';

import {
  DEFAULT_DEPLOY_SETTINGS,
  DeploySettings,
  DeploySettingsError,
  loadDeploySettings,
} from '@imagegen/infra/util-deploy-settings';

/**
 * Every deployment setting, in one typed place, checked before anything is built. Declared once in
 * libs/infra/util-deploy-settings (DEPLOY_SETTINGS), which the deploy preflight (doctor) reads too.
 */
export type ImagegenConfig = DeploySettings;

export const DEFAULT_CONFIG: ImagegenConfig = DEFAULT_DEPLOY_SETTINGS;

export class ConfigError extends DeploySettingsError {
  override readonly name = 'ConfigError';
}

/**
 * The Cognito domain prefix: the setting, else `imagegen-` and 12 hex digits of a hash of the
 * account and region, so each deployer gets their own (a fixed prefix is taken by the first
 * deployer in a region). Cognito needs a domain, a domain needs the account: it is always known here.
 */
export function cognitoDomainPrefixOf(config: ImagegenConfig): string {
  if (config.cognitoDomainPrefix) return config.cognitoDomainPrefix;
  if (!config.account) throw new ConfigError('cognitoDomainPrefix needs account (or set it)');
  const hash = createHash('sha256').update(`${config.account}:${config.region}`).digest('hex');
  return `imagegen-${hash.slice(0, 12)}`;
}

/**
 * Merges defaults, the `imagegen` context of cdk.json and `IMAGEGEN_*` overrides, and checks the
 * result: every problem is reported at once, by name.
 */
export function loadConfig(
  context: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv = {},
): ImagegenConfig {
  return loadDeploySettings(context, env, { error: ConfigError });
}
