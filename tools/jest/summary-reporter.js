const fs = require('node:fs');
const path = require('node:path');

/** The start of a failure's message, without colours or the stack: what the summary shows under the test's name. */
function firstLines(message, count = 8) {
  return message
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((line) => line.trim() && !/^\s+at /.test(line))
    .slice(0, count);
}

/** Writes a small JSON summary of a Jest run so `npm test` can add up all projects. */
class SummaryReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(contexts, results) {
    const root = path.resolve(__dirname, '../..');
    const dir = path.join(root, 'tmp', 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const [context] = [...(contexts || [])];
    const display = context && context.config && context.config.displayName;
    const name =
      (typeof display === 'string' ? display : display && display.name) ||
      path.basename(this.globalConfig.rootDir || 'root');
    const failures = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status === 'failed')
          failures.push({
            test: `${path.relative(root, file.testFilePath)} › ${t.fullName}`,
            reason: firstLines(t.failureMessages.join('\n')),
          });
      }
      if (file.testExecError)
        failures.push({
          test: `${path.relative(root, file.testFilePath)} › could not run`,
          reason: firstLines(file.testExecError.message),
        });
    }
    fs.writeFileSync(
      path.join(dir, `${name}.json`),
      JSON.stringify({
        project: name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
        failures,
      }),
    );
  }
}

module.exports = SummaryReporter;
