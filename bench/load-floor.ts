// The floor for bench/load-engine's open model: the least any Node client can do to follow the same
// schedule. It starts the requests due every quantum (default 10 ms, as faultline), one per idle
// keep-alive connection (a new one when none is idle, as faultline's VUs), reads each answer into
// one shared buffer and counts it. No parsing beyond counting, no metrics, no scripts, no timeouts.
//
// Its CPU next to autocannon's says what the schedule itself costs on this machine (every wake-up
// of an idle process costs tens of microseconds here: docs/load-engine.md); faultline's CPU next
// to it says what faultline's own engine costs on top. It judges nothing.
//
//   node dist/bench/load-floor.js URL RATE SECONDS [QUANTUM_MS]
import net from 'node:net';

const [url, rateArg, secondsArg, quantumArg] = process.argv.slice(2);
const target = new URL(url);
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const quantum = Number(quantumArg ?? 10);
for (const [name, v] of [['RATE', rate], ['SECONDS', Number(secondsArg)], ['QUANTUM_MS', quantum]] as const) {
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`load-floor: ${name} must be a positive number, got ${JSON.stringify(String(v))}\nusage: node dist/bench/load-floor.js URL RATE SECONDS [QUANTUM_MS]\n`);
    process.exit(2);
  }
}
const port = Number(target.port || 80);
const request = Buffer.from(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: faultline-bench-floor\r\n\r\n`, 'latin1');
const readBuffer = Buffer.allocUnsafe(64 * 1024);
const idle: net.Socket[] = [];
let sent = 0;
let answered = 0;

function connection(): net.Socket {
  // every test answer ("HTTP/1.1 200 OK ... ok") fits in one read: a read is an answer
  const socket: net.Socket = net.connect({
    port,
    host: target.hostname,
    onread: {
      buffer: readBuffer,
      callback: () => {
        answered++;
        idle.push(socket);
        if (answered === total) finish();
        return true;
      },
    },
  });
  socket.setNoDelay(true);
  return socket;
}

function finish(): void {
  for (const s of idle) s.destroy();
  process.stdout.write(`${JSON.stringify({ sent, answered })}\n`);
  process.exit(0);
}

const started = performance.now();
function tick(): void {
  const now = performance.now() - started;
  const due = Math.min(total, Math.floor((now * rate) / 1000) + 1);
  while (sent < due) {
    (idle.pop() ?? connection()).write(request);
    sent++;
  }
  if (sent < total) setTimeout(tick, Math.max(1, quantum - (now % quantum)));
}
setTimeout(() => {
  process.stderr.write('load-floor: not every request was answered within 30 s\n');
  process.exit(1);
}, Number(secondsArg) * 1000 + 30_000).unref();
tick();
