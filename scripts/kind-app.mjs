// The images of what runs in the kind clusters besides Kubernetes, built here:
//   faultline.local/sandbox-app   the sandbox's region server and GLB (src/sandbox/app, which imports
//                                 nothing from the toolkit), bundled by esbuild, on the node rootfs
//                                 with this machine's node binary
//   faultline.local/toxiproxy     toxiproxy-server from .tools/bin (a static Go binary)
// Tags carry a hash of their content, so a changed app gets a new tag and pods roll over to it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KIND_BIN, LOCAL_REPO, rootfsTag } from './kind-images.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(dirname(KIND_BIN), 'build');
const TOXIPROXY_PIN = 'v2.12.0';

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}`);
}

const imageExists = (tag) => spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;

function hashOf(...bufs) {
  const h = createHash('sha256');
  for (const b of bufs) h.update(b);
  return h.digest('hex').slice(0, 12);
}

function build(tag, dockerfile, files) {
  const ctx = join(buildDir, `ctx-${tag.replace(/[^a-z0-9]+/gi, '-')}`);
  rmSync(ctx, { recursive: true, force: true });
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
  for (const [to, from] of Object.entries(files)) {
    if (typeof from === 'string') copyFileSync(from, join(ctx, to));
    else writeFileSync(join(ctx, to), from);
  }
  const r = spawnSync('docker', ['build', '-q', '-t', tag, ctx], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker build of ${tag} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  rmSync(ctx, { recursive: true, force: true });
}

/** Bundles one entry of the app into a single ESM file (prom-client included). */
async function bundle(entry) {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [join(root, 'src', 'sandbox', 'app', entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    // prom-client is CommonJS; a require shim lets the bundled copy load Node built-ins.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return Buffer.from(r.outputFiles[0].contents);
}

export async function ensureAppImages() {
  const node = process.execPath;
  const region = await bundle('region.ts');
  const glb = await bundle('glb.ts');
  const nodeVersion = process.version;
  const app = `${LOCAL_REPO}/sandbox-app:${hashOf(region, glb, nodeVersion, rootfsTag())}`;
  if (!imageExists(app)) {
    const t0 = Date.now();
    build(app, [`FROM ${rootfsTag()}`, 'COPY node /usr/local/bin/node', 'COPY region.mjs glb.mjs /app/', 'ENTRYPOINT ["/usr/local/bin/node"]', ''].join('\n'), {
      node,
      'region.mjs': region,
      'glb.mjs': glb,
    });
    process.stdout.write(`kind: ${app}: built in ${((Date.now() - t0) / 1000).toFixed(1)}s (node ${nodeVersion})\n`);
  }
  const toxiproxy = `${LOCAL_REPO}/toxiproxy:${TOXIPROXY_PIN}`;
  const server = join(root, '.tools', 'bin', 'toxiproxy-server');
  if (!existsSync(server)) throw new Error('toxiproxy-server is missing: run `node scripts/tools.mjs --only toxiproxy`');
  if (!imageExists(toxiproxy)) {
    build(toxiproxy, ['FROM scratch', 'COPY toxiproxy-server /toxiproxy-server', 'ENTRYPOINT ["/toxiproxy-server"]', ''].join('\n'), { 'toxiproxy-server': server });
  }
  return { app, toxiproxy };
}

export const appImageTags = (images) => [images.app, images.toxiproxy];
