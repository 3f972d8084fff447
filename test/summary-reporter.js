'use strict';
/** Prints one plain closing line (`jest: N passed, N failed, N skipped`) that CI systems can read. */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `jest: ${results.numPassedTests} passed, ${results.numFailedTests + results.numRuntimeErrorTestSuites} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
