const nxPreset = require('@nx/jest/preset').default;

/**
 * Shared Jest settings. Every project's results are also written to tmp/test-results/
 * so that `npm test` can print one pass/fail summary over the whole workspace.
 */
module.exports = {
  ...nxPreset,
  reporters: ['default', require.resolve('./tools/jest/summary-reporter.js')],
};
