// Browser end-to-end tests: Debian's chromium driven by playwright-core against the stack `npm start` runs.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('../../tools/jest/project.cjs');

module.exports = nodeProject('web-e2e', __dirname, {
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/src/support/global-setup.ts',
  globalTeardown: '<rootDir>/src/support/global-teardown.ts',
  testTimeout: 120_000,
});
