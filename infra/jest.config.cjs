// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('../tools/jest/project.cjs');

module.exports = nodeProject('infra', __dirname, {
  testTimeout: 120_000,
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/'],
  modulePathIgnorePatterns: ['/cdk.out/'],
});
