// For tests: a real toxiproxy-server on an ephemeral 127.0.0.1 port.
export { startToxiproxyServer, type ToxiproxyServer } from '../tools/toxiproxy-server.js';
