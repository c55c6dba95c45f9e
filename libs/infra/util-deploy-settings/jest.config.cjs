// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('../../../tools/jest/project.cjs');

module.exports = nodeProject('infra-util-deploy-settings', __dirname);
