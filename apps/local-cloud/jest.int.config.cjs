// Integration tests: the whole local cloud started in-process on free ports, driven through the real AWS SDKs.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('../../tools/jest/project.cjs');

module.exports = nodeProject('local-cloud-integration', __dirname, {
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 60_000,
  // The synthesized templates every stack reads: made (or found in the cache) once, before any test.
  globalSetup: '<rootDir>/src/app/testing/warm-templates.ts',
  // The generator's metrics stay off the test report (observability.int-spec.ts turns them on for its stack).
  setupFiles: ['<rootDir>/src/app/testing/quiet-metrics.ts'],
});
