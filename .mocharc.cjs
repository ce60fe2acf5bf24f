// Tests never read or write the user's run index (src/runner/run-index.ts): every mocha process
// gets its own state directory, inherited by the faultline processes the tests start.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

process.env.FAULTLINE_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'fl-test-state-'));

// Mocha reads only the first config file it finds, and .cjs comes before .json: the settings
// live here, in one place.
module.exports = { timeout: 60000, reporter: 'spec', exit: true };
