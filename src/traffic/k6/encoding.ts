// `k6/encoding` and `k6/crypto` on Node's Buffer and crypto (no hand-written crypto).
// Inputs are strings (UTF-8) or ArrayBuffers/typed arrays from the script's own vm context.
import { createHash as nodeHash, createHmac as nodeHmac, getHashes, randomBytes as nodeRandom } from 'node:crypto';
import { types } from 'node:util';

type Input = string | ArrayBuffer | ArrayBufferView;

function toBuffer(input: Input, where: string): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (types.isAnyArrayBuffer(input)) return Buffer.from(input);
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${where}: expected a string or an ArrayBuffer, got ${input === null ? 'null' : typeof input}`);
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

const B64_VARIANTS = ['std', 'rawstd', 'url', 'rawurl'] as const;

function b64encode(input: Input, encoding: string = 'std'): string {
  if (!(B64_VARIANTS as readonly string[]).includes(encoding)) throw new TypeError(`b64encode: encoding must be one of ${B64_VARIANTS.join(', ')}, got ${JSON.stringify(encoding)}`);
  const buf = toBuffer(input, 'b64encode');
  const url = encoding === 'url' || encoding === 'rawurl';
  let out = buf.toString(url ? 'base64url' : 'base64');
  if (encoding === 'rawstd') out = out.replace(/=+$/, '');
  // Node's base64url has no padding; k6's "url" (Go's URLEncoding) has
  if (encoding === 'url') out += '='.repeat((4 - (out.length % 4)) % 4);
  return out;
}

function b64decode(input: string, encoding: string = 'std', format?: string): ArrayBuffer | string {
  if (!(B64_VARIANTS as readonly string[]).includes(encoding)) throw new TypeError(`b64decode: encoding must be one of ${B64_VARIANTS.join(', ')}, got ${JSON.stringify(encoding)}`);
  const text = String(input);
  const url = encoding === 'url' || encoding === 'rawurl';
  const alphabet = url ? /^[A-Za-z0-9_-]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!alphabet.test(text)) throw new TypeError(`b64decode: the input is not valid ${encoding} base64`);
  const buf = Buffer.from(text, url ? 'base64url' : 'base64');
  return format === 's' ? buf.toString('utf8') : toArrayBuffer(buf);
}

export function createEncodingModule() {
  const mod = { b64encode, b64decode, default: undefined as unknown };
  mod.default = mod;
  return mod;
}

// ---- k6/crypto ------------------------------------------------------------------------------

/** k6 algorithm name → Node's. */
const ALGORITHMS: Record<string, string> = {
  md4: 'md4',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
  ripemd160: 'ripemd160',
};

function nodeAlgorithm(alg: string, where: string): string {
  const name = ALGORITHMS[String(alg)];
  // OpenSSL 3 may lack md4 and ripemd160 (legacy provider); say so instead of failing obscurely
  if (!name || !getHashes().includes(name)) {
    throw new TypeError(`${where}: unsupported hash algorithm ${JSON.stringify(alg)} (available here: ${Object.keys(ALGORITHMS).filter((k) => getHashes().includes(ALGORITHMS[k])).join(', ')})`);
  }
  return name;
}

function output(digest: Buffer, encoding: string | undefined, where: string): string | ArrayBuffer {
  switch (encoding ?? 'binary') {
    case 'hex':
      return digest.toString('hex');
    case 'base64':
      return digest.toString('base64');
    case 'base64url':
      return b64encode(digest, 'url');
    case 'base64rawurl':
      return digest.toString('base64url');
    case 'binary':
      return toArrayBuffer(digest);
    default:
      throw new TypeError(`${where}: output encoding must be hex, base64, base64url, base64rawurl or binary, got ${JSON.stringify(encoding)}`);
  }
}

class Hasher {
  constructor(
    private readonly h: { update(b: Buffer): unknown; digest(): Buffer },
    private readonly where: string,
  ) {}
  update(input: Input): void {
    this.h.update(toBuffer(input, `${this.where}.update`));
  }
  digest(encoding?: string): string | ArrayBuffer {
    return output(this.h.digest(), encoding, `${this.where}.digest`);
  }
}

export function createCryptoModule() {
  const hashFn = (alg: string) => (input: Input, encoding?: string) => {
    const h = nodeHash(nodeAlgorithm(alg, alg));
    h.update(toBuffer(input, alg));
    return output(h.digest(), encoding, alg);
  };
  const mod: Record<string, unknown> = {
    createHash: (alg: string) => new Hasher(nodeHash(nodeAlgorithm(alg, 'createHash')), 'createHash'),
    createHMAC: (alg: string, secret: Input) => new Hasher(nodeHmac(nodeAlgorithm(alg, 'createHMAC'), toBuffer(secret, 'createHMAC')), 'createHMAC'),
    hmac: (alg: string, secret: Input, data: Input, encoding?: string) => {
      const h = nodeHmac(nodeAlgorithm(alg, 'hmac'), toBuffer(secret, 'hmac'));
      h.update(toBuffer(data, 'hmac'));
      return output(h.digest(), encoding, 'hmac');
    },
    randomBytes: (n: number) => {
      if (!Number.isInteger(n) || n < 1) throw new TypeError(`randomBytes: expected a positive integer, got ${JSON.stringify(n)}`);
      return toArrayBuffer(nodeRandom(n));
    },
  };
  for (const alg of Object.keys(ALGORITHMS)) mod[alg] = hashFn(alg);
  mod.default = mod;
  return mod;
}

export const CRYPTO_EXPORTS = ['createHash', 'createHMAC', 'hmac', 'randomBytes', ...Object.keys(ALGORITHMS), 'default'];
