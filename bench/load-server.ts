// The minimal HTTP server bench/load-engine.ts loads, in its own process so the clients' CPU
// can be measured apart from it. Prints its port; GET /__count returns requests served so far.
import http from 'node:http';

let served = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/__count') {
    const body = String(served);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  served++;
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2, 'x-faultline-region': 'bench' });
  res.end('ok');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
