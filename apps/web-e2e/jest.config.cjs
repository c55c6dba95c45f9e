// Browser end-to-end tests: Debian's chromium driven by playwright-core against the stack `npm start` runs.
module.exports = {
  displayName: 'web-e2e',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  globalSetup: '<rootDir>/src/support/global-setup.ts',
  globalTeardown: '<rootDir>/src/support/global-teardown.ts',
  testTimeout: 120_000,
  // eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's own Jest reporter
  reporters: ['default', require.resolve('../../tools/jest/summary-reporter.js')],
};
