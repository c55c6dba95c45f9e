// The CI workflow's drift test (src/ci-workflow.spec.ts): .github/workflows/ci.yml against `npm test`.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('../jest/project.cjs');

module.exports = nodeProject('tools-ci', __dirname);
