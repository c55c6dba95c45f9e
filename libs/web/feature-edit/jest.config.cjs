// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { angularProject } = require('../../../tools/jest/project.cjs');

module.exports = angularProject('web-feature-edit', __dirname);
