// A runc wrapper for the private dockerd of scripts/kind.mjs, for hosts whose root lacks some
// capabilities in its bounding set (this machine's lacks CAP_SYS_RESOURCE). Docker 20.10 gives a
// --privileged container every capability the kernel knows, runc cannot grant one the bounding set
// does not hold, and the container fails with "unable to apply caps: operation not permitted".
// kind's nodes are privileged, so this drops, from the OCI spec of each container it creates,
// the capabilities this process itself cannot hold, then runs the real runc with the same
// arguments. Nothing else changes. kind.mjs writes it with a shebang naming this machine's node.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

const REAL = process.env.FAULTLINE_REAL_RUNC || ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc'].find((p) => existsSync(p));

function boundingSet() {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1];
  const bits = BigInt(`0x${hex}`);
  return new Set(CAPS.filter((_, i) => (bits >> BigInt(i)) & 1n));
}

/** Drops the capabilities we cannot hold from a JSON file (a bundle's config.json or an exec's process.json). */
function filterFile(path, processOf) {
  if (!path || !existsSync(path)) return;
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  const caps = processOf(doc)?.capabilities;
  if (!caps) return;
  const held = boundingSet();
  for (const k of Object.keys(caps)) if (Array.isArray(caps[k])) caps[k] = caps[k].filter((c) => held.has(c) || !CAPS.includes(c));
  writeFileSync(path, JSON.stringify(doc));
}

const args = process.argv.slice(2);
const valueOf = (...flags) => {
  const i = args.findIndex((a) => flags.includes(a));
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => flags.some((f) => a.startsWith(`${f}=`)));
  return eq?.slice(eq.indexOf('=') + 1);
};
if (args.includes('create') || args.includes('run')) {
  filterFile(join(valueOf('--bundle', '-b') ?? process.cwd(), 'config.json'), (spec) => spec.process);
} else if (args.includes('exec')) {
  // `docker exec --privileged` hands runc a process.json with every capability too.
  filterFile(valueOf('--process', '-p'), (proc) => proc);
}
const r = spawnSync(REAL, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
