// What `npm test` needs from the machine besides `npm ci`: checked before anything runs, so a missing
// program is named in one line instead of failing a test minutes later.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The first executable named `name` on PATH, else the first of `fallbacks` that exists. */
export function findProgram(name, fallbacks = []) {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name));
  return [...onPath, ...fallbacks].find(executable);
}

/** nginx checks docker/nginx.conf: NGINX_PATH, else `nginx` on PATH, else Debian's /usr/sbin/nginx. */
export const nginxPath = () =>
  process.env.NGINX_PATH
    ? executable(process.env.NGINX_PATH)
      ? process.env.NGINX_PATH
      : undefined
    : findProgram('nginx', ['/usr/sbin/nginx']);

/** The browser tests' Chromium: CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const chromiumPath = () => {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return executable(path) ? path : undefined;
};

const [major, minor, patch] = process.versions.node.split('.').map(Number);
/** Angular 22's range (its `engines`): ^22.22.3 || ^24.15.0 || >=26.0.0. */
const supportedNode =
  (major === 22 && (minor > 22 || (minor === 22 && patch >= 3))) ||
  (major === 24 && minor >= 15) ||
  major >= 26;

/** Each missing prerequisite with how to get it; empty when the machine has all. */
export function missingPrerequisites() {
  const missing = [];
  if (!supportedNode) {
    missing.push(
      `Node ^22.22.3, ^24.15 or >= 26 (this is ${process.versions.node}; .nvmrc names 24: nvm install, or npm i node@24 and put its bin first on PATH)`,
    );
  }
  if (!nginxPath()) missing.push('nginx (apt-get install -y nginx-core, or set NGINX_PATH)');
  if (!chromiumPath())
    missing.push('Chromium (apt-get install -y chromium, or set CHROMIUM_PATH to a Chrome or Chromium)');
  return missing;
}
