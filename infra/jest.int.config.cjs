// Checks that need the built apps (docker/ COPY sources, nginx serving the web build): run after `nx build`.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('../tools/jest/project.cjs');

module.exports = nodeProject('infra-docker', __dirname, {
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/'],
  modulePathIgnorePatterns: ['/cdk.out/'],
  testTimeout: 30_000,
});
