// What bin/faultline.js takes from the CommonJS bundle of the CLI (dist/cli/faultline.cjs, built
// by scripts/bundle.mjs and compiled with a V8 code cache): the signal handlers, installed before
// anything else runs, and the command line.
export { installInterruptHandlers } from '../runner/signals.js';
export { main } from './program.js';
