// k6's TLS options → Node's tls.connect options. Checked when the options are read, so a bad
// version, an unknown or unavailable cipher suite, or a certificate that does not parse exits
// 104 before any request, naming the option.
//
//   tlsVersion: "tls1.2" | {min: "tls1.2", max: "tls1.3"}   → minVersion / maxVersion
//   tlsCipherSuites: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ...] (Go's IANA names) → ciphers
//   tlsAuth: [{domains: ["example.com"], cert: PEM, key: PEM, password?}] → cert/key per host
import tls from 'node:tls';
import { K6ConfigError } from './errors.js';
import type { TlsSettings } from './client.js';

const VERSIONS: Record<string, tls.SecureVersion> = {
  'tls1.0': 'TLSv1',
  'tls1.1': 'TLSv1.1',
  'tls1.2': 'TLSv1.2',
  'tls1.3': 'TLSv1.3',
};

/** Go's (IANA) cipher suite names, as k6 takes them, → OpenSSL's. */
const CIPHER_SUITES: Record<string, string> = {
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};

export function parseTlsOptions(o: Record<string, unknown>): TlsSettings {
  const out: TlsSettings = { auth: [] };
  if (o.tlsVersion !== undefined) {
    const v = o.tlsVersion;
    if (typeof v === 'string') out.minVersion = out.maxVersion = version(v, 'options.tlsVersion');
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const r = v as Record<string, unknown>;
      for (const k of Object.keys(r)) if (k !== 'min' && k !== 'max') throw new K6ConfigError(`options.tlsVersion.${k}: expected only "min" and "max"`);
      if (r.min !== undefined) out.minVersion = version(r.min, 'options.tlsVersion.min');
      if (r.max !== undefined) out.maxVersion = version(r.max, 'options.tlsVersion.max');
      const order = Object.values(VERSIONS);
      if (out.minVersion && out.maxVersion && order.indexOf(out.minVersion) > order.indexOf(out.maxVersion)) {
        throw new K6ConfigError(`options.tlsVersion: min ${JSON.stringify(r.min)} is above max ${JSON.stringify(r.max)}`);
      }
    } else throw new K6ConfigError(`options.tlsVersion: expected a version ("tls1.2") or {min, max}, got ${JSON.stringify(v)}`);
  }
  if (o.tlsCipherSuites !== undefined) {
    const list = o.tlsCipherSuites;
    if (!Array.isArray(list) || list.length === 0) throw new K6ConfigError(`options.tlsCipherSuites: expected a non-empty list of cipher suite names, got ${JSON.stringify(list)}`);
    const available = new Set(tls.getCiphers());
    const names = list.map((n, i) => {
      const openssl = typeof n === 'string' ? CIPHER_SUITES[n] : undefined;
      if (!openssl) throw new K6ConfigError(`options.tlsCipherSuites[${i}]: unknown cipher suite ${JSON.stringify(n)} (known: ${Object.keys(CIPHER_SUITES).join(', ')})`);
      if (!available.has(openssl.toLowerCase())) throw new K6ConfigError(`options.tlsCipherSuites[${i}]: ${n} (${openssl}) is not available in this Node's OpenSSL`);
      return openssl;
    });
    // Go never restricts TLS 1.3 suites through this option; when the list names none, Node's
    // default TLS 1.3 suites stay enabled, as in k6.
    if (!names.some((n) => n.startsWith('TLS_'))) names.unshift(...tls.DEFAULT_CIPHERS.split(':').filter((n) => n.startsWith('TLS_')));
    out.ciphers = names.join(':');
  }
  if (o.tlsAuth !== undefined) {
    if (!Array.isArray(o.tlsAuth)) throw new K6ConfigError(`options.tlsAuth: expected a list of {domains, cert, key, password}, got ${JSON.stringify(o.tlsAuth)}`);
    o.tlsAuth.forEach((entry, i) => {
      const where = `options.tlsAuth[${i}]`;
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new K6ConfigError(`${where}: expected {domains, cert, key, password}`);
      const e = entry as Record<string, unknown>;
      for (const k of Object.keys(e)) if (!['domains', 'cert', 'key', 'password'].includes(k)) throw new K6ConfigError(`${where}.${k}: unknown field (expected domains, cert, key, password)`);
      if (typeof e.cert !== 'string' || !e.cert.includes('-----BEGIN')) throw new K6ConfigError(`${where}.cert: expected a PEM certificate (for example open('./client.crt')), got ${describe(e.cert)}`);
      if (typeof e.key !== 'string' || !e.key.includes('-----BEGIN')) throw new K6ConfigError(`${where}.key: expected a PEM private key (for example open('./client.key')), got ${describe(e.key)}`);
      if (e.password !== undefined && typeof e.password !== 'string') throw new K6ConfigError(`${where}.password: expected a string`);
      let domains: string[] | undefined;
      if (e.domains !== undefined) {
        if (!Array.isArray(e.domains) || e.domains.some((d) => typeof d !== 'string')) throw new K6ConfigError(`${where}.domains: expected a list of host names`);
        domains = (e.domains as string[]).map((d) => d.toLowerCase());
      }
      try {
        // parses the pair now, so a wrong key or passphrase fails before the run, not per request
        tls.createSecureContext({ cert: e.cert, key: e.key, passphrase: e.password as string | undefined });
      } catch (err) {
        throw new K6ConfigError(`${where}: the certificate and key do not load: ${(err as Error).message}`);
      }
      out.auth.push({ domains, cert: e.cert, key: e.key, passphrase: e.password as string | undefined });
    });
  }
  return out;
}

function version(v: unknown, where: string): tls.SecureVersion {
  if (v === 'ssl3.0') throw new K6ConfigError(`${where}: "ssl3.0" is not available in Node's OpenSSL (supported: ${Object.keys(VERSIONS).join(', ')})`);
  const out = typeof v === 'string' ? VERSIONS[v] : undefined;
  if (!out) throw new K6ConfigError(`${where}: expected one of ${Object.keys(VERSIONS).join(', ')} (http.TLS_1_2 ...), got ${JSON.stringify(v)}`);
  return out;
}

/** Never echoes a value that may be a key. */
function describe(v: unknown): string {
  return typeof v === 'string' ? `a string of ${v.length} characters without a PEM header` : typeof v;
}
