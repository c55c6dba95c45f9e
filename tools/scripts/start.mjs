#!/usr/bin/env node
// `npm start`: build what is stale (Nx cache), then run the whole app on the embedded local cloud.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const port = Number(process.env.PORT ?? 4200);

// Fail fast, before building, when another `npm start` (or anything) already has the port.
const free = await new Promise((ok) => {
  const probe = createServer()
    .once('error', () => ok(false))
    .once('listening', () => probe.close(() => ok(true)))
    .listen(port, '127.0.0.1');
});
if (!free) {
  console.error(
    `Port ${port} is already in use (is imagegen already running?). Stop it, or start on another port: PORT=4300 npm start`,
  );
  process.exit(1);
}

console.log('imagegen: building web, bff and local-cloud (cached after the first run)…');
const build = spawnSync(
  'npx',
  ['nx', 'run-many', '-t', 'build', '-p', 'web', 'bff', 'local-cloud', '--outputStyle=static'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } },
);
if (build.status !== 0) {
  console.error('imagegen: the build failed (see above).');
  process.exit(build.status ?? 1);
}

const child = spawn(process.execPath, ['--enable-source-maps', 'dist/apps/local-cloud/main.js'], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
