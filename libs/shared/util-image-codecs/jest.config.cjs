// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('../../../tools/jest/project.cjs');

module.exports = nodeProject('shared-util-image-codecs', __dirname);
