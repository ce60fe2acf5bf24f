// What produced a run, for report.json and the journal's run line: the faultline version, the
// platform and host, and hashes of the experiment file as written and as resolved (after ${ENV}
// templates), so a run can be reproduced and audited. Hashes, never contents: a resolved value
// may be a secret.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch, hostname, platform, release } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../tools/locate.js';
import type { LoadedExperiment } from '../experiment/load.js';
import type { Provenance } from '../report/types.js';

export type { Provenance };

let version: string | undefined;

export function faultlineVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export function provenance(loaded: LoadedExperiment): Provenance {
  let fileHash = '';
  try {
    fileHash = sha256(readFileSync(loaded.file));
  } catch {
    // read moments ago by the loader; a file that vanished since has no hash
  }
  return {
    faultline: faultlineVersion(),
    node: process.version,
    platform: platform(),
    arch: arch(),
    os: release(),
    host: hostname(),
    experimentSha256: fileHash,
    resolvedSha256: sha256(canonicalJson(loaded.experiment)),
  };
}

/** JSON with object keys sorted at every level, so equal experiments hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
