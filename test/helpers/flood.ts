// A child process for the SIGINT test: the built-in generator at the fastest rate the schema
// accepts, against the URL in argv[2], with a SIGINT handler like the run's (stop, report, exit).
// It prints "ready" once traffic runs, and on SIGINT one JSON line with what it sent, what it
// dropped and the longest gap the event loop had (a blocked loop would never get here).
import { builtinTraffic, MAX_BUILTIN_RATE } from '../../src/traffic/builtin.js';
import { parseRate } from '../../src/schema/values.js';

const url = process.argv[2];
const controller = new AbortController();
const source = (await builtinTraffic.load()).create(
  { rate: parseRate(`${MAX_BUILTIN_RATE}/s`), maxInFlight: 100_000, keys: 10 },
  { endpoints: { glb: url }, baseDir: '.', runId: 'flood-run-0001', env: {} },
);
let last = Date.now();
let maxLagMs = 0;
const lag = setInterval(() => {
  const now = Date.now();
  maxLagMs = Math.max(maxLagMs, now - last - 20);
  last = now;
}, 20);
process.on('SIGINT', async () => {
  const handledAt = Date.now();
  controller.abort();
  const summary = await source.stop();
  clearInterval(lag);
  process.stdout.write(`${JSON.stringify({ handled: true, handledAt, sent: summary.sent, dropped: summary.dropped, maxLagMs })}\n`);
  process.exit(0);
});
await source.start(() => undefined, controller.signal);
process.stdout.write('ready\n');
