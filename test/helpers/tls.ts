// A throwaway certificate authority made with openssl for tests against local HTTPS servers: in
// dir, ca.pem/ca.key (the CA, valid for a day) and srv.pem/srv.key (a server certificate for
// 127.0.0.1 and the DNS name given, signed by it). A client trusts the servers with
// NODE_EXTRA_CA_CERTS=<dir>/ca.pem; the CA can sign more (client certificates) with openssl().
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function openssl(dir: string, args: string[]) {
  return execa('openssl', args, { cwd: dir });
}

export async function makeTestCa(dir: string, serverDnsName: string): Promise<void> {
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=faultline test CA']);
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'srv.cnf'), `subjectAltName=IP:127.0.0.1,DNS:${serverDnsName}\n`);
  await openssl(dir, ['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '1', '-extfile', 'srv.cnf']);
}
