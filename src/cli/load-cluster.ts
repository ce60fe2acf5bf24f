// `faultline load SCRIPT --on-cluster CONTEXT --parallelism N`: the workers of a split load run
// are the pods of an Indexed Job; this process coordinates them (src/traffic/k6/distributed.ts).
//
//   coordinator (here)                              cluster (namespace --namespace)
//   ─ load + validate the script; bundle it ──┐
//   ─ journal intent kubernetes.load-job ─────┤ (fsync, and the run index: `rollback --run-id`)
//   ─ create Job (suspended) ─────────────────┼─► Job faultline-load-<id>: Indexed, completions =
//   ─ create, owned by the Job ───────────────┼─►   parallelism = N, backoffLimit 0
//                                             │   ConfigMap (the bundled script), ServiceAccount,
//                                             │   Role (get this one Job), RoleBinding
//   ─ unsuspend ──────────────────────────────┼─► pod i: `faultline load /script/script.js
//                                             │      --segment job/N --stream --barrier job`
//   ◄─ follow every pod's log (API) ──────────┤   prints "ready", polls its Job for start-at
//   ─ all ready: annotate start-at ───────────┼─► every pod starts at that instant
//   ◄─ per-second aggregates (log lines) ─────┤
//   ─ merge, thresholds, summary              │
//   ─ delete the Job (every path, SIGINT too) ┴─► pods and owned objects garbage-collected
//
// A worker's exit status is 0 unless it failed for another reason than its own thresholds
// (those are judged on the merge; its own verdict travels in its end line), so one worker's
// threshold never fails the Job and stops its siblings.
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { V1Job } from '@kubernetes/client-node';
import type { Logger } from '../core/log.js';
import type { CliOptions } from '../core/options.js';
import { PreflightError } from '../core/errors.js';
import { UNKNOWN_EXIT, coordinate, loadForSplit, type DistributedResult, type Fleet } from '../traffic/k6/distributed.js';
import { K6ConfigError, K6Exit } from '../traffic/k6/errors.js';
import { START_AT_ANNOTATION } from '../traffic/k6/worker.js';
import { makeRunId } from '../runner/run.js';
import { Journal } from '../runner/journal.js';
import { registerRun, stateDir } from '../runner/run-index.js';
import { projectRoot } from '../tools/locate.js';
import { LOAD_JOB_COMPONENT, LOAD_JOB_LABEL, loadJobUndoer, type LoadJobUndo } from '../faults/kubernetes/load-job.js';
import { buildInMemory } from '../core/bundle.js';

export interface OnClusterOptions {
  context: string;
  parallelism: number;
  namespace: string;
  /** The faultline image (default faultline:<version>, as scripts/faultline-image.mjs tags it). */
  image?: string;
  env: Record<string, string>;
  log: Logger;
  signal: AbortSignal;
  options: CliOptions;
  allowOpenAnywhere?: boolean;
  /** Each pod's arrival-rate scheduling quantum (src/traffic/k6/executors/arrival.ts). */
  scheduleQuantumMs?: number;
  /** Test hook: called with the Job's name once it exists. */
  onJob?: (job: { namespace: string; name: string; runId: string }) => void;
}

/** Waiting reasons of a container that will not start by itself. */
const FATAL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export function defaultImage(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  return `faultline:${pkg.version}`;
}

/** The script and its local imports as one file (k6/* stays external, as the pod's loader wants it). */
async function bundleScript(script: string): Promise<string> {
  const r = await buildInMemory({ entryPoints: [script], bundle: true, write: false, format: 'esm', platform: 'neutral', target: 'es2022', external: ['k6', 'k6/*', 'https://*', 'http://*'], logLevel: 'silent', outfile: 'script.js' });
  return r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
}

export async function loadOnCluster(script: string, o: OnClusterOptions): Promise<DistributedResult> {
  if (!Number.isInteger(o.parallelism) || o.parallelism < 1 || o.parallelism > 256) throw new K6ConfigError(`--parallelism: expected an integer from 1 to 256, got ${o.parallelism}`);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.namespace)) throw new K6ConfigError(`--namespace: expected a DNS-1123 label, got ${JSON.stringify(o.namespace)}`);
  const { clientsFor, k8s, RUN_ID_LABEL, apiMessage, statusOf } = await import('../environments/kubernetes/clients.js');
  // Refused before anything is created: the script (coordinator's own load) and the context.
  const run = await loadForSplit(script, { workers: o.parallelism, env: o.env, log: o.log, allowOpenAnywhere: o.allowOpenAnywhere });
  const code = await bundleScript(script);
  let c;
  try {
    c = clientsFor(o.options, o.context);
  } catch (err) {
    throw new K6ConfigError((err as Error).message, { cause: err });
  }
  const batch = c.kc.makeApiClient(k8s.BatchV1Api);
  const rbacApi = c.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const runId = makeRunId('load');
  const name = `faultline-load-${runId.slice(-4)}-${runId.slice(0, 15).replace(/[^0-9]/g, '').slice(-6)}`.toLowerCase();
  const ns = o.namespace;
  const image = o.image ?? defaultImage();
  const labels = { [RUN_ID_LABEL]: runId, [LOAD_JOB_LABEL]: LOAD_JOB_COMPONENT, 'app.kubernetes.io/name': 'faultline', 'app.kubernetes.io/managed-by': 'faultline' };

  // Journal first: a coordinator killed from here on leaves a record `rollback --run-id` reads.
  const journalPath = join(stateDir(), 'load', runId, 'journal.jsonl');
  const undo: LoadJobUndo = { kind: 'kubernetes.load-job', context: o.context, namespace: ns, name, runId };
  const indexed = registerRun({ runId, kind: 'load', experiment: `load ${script}`, file: script, journal: journalPath, lockKey: `kubernetes:${o.context}/${ns}/${name}` });
  const journal = Journal.create(journalPath);
  journal.write({ type: 'run', runId, experiment: `load-on-cluster`, file: script, lockKey: `kubernetes:${o.context}/${ns}/${name}`, pid: process.pid, startedAt: new Date().toISOString(), by: `${process.env.USER ?? 'user'}@${hostname()}` });
  const intentId = journal.nextId('load-job');
  journal.intent(intentId, `Job ${ns}/${name} in ${o.context}`, undo);
  o.log.info(`run ${runId}: Job ${ns}/${name} in ${o.context}, ${o.parallelism} pods of ${image}`);

  const envArgs = Object.entries(o.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns, labels },
    spec: {
      suspend: true,
      completionMode: 'Indexed',
      completions: o.parallelism,
      parallelism: o.parallelism,
      backoffLimit: 0,
      // a safety net for a coordinator that died without anyone running rollback
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: name,
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'worker',
              image,
              imagePullPolicy: 'IfNotPresent',
              args: ['load', '/script/script.js', '--segment', `job/${o.parallelism}`, '--stream', '--barrier', 'job', '--quiet', ...envArgs, ...(o.allowOpenAnywhere ? ['--allow-open-anywhere'] : []), ...(o.scheduleQuantumMs !== undefined ? ['--schedule-quantum', `${o.scheduleQuantumMs}ms`] : [])],
              env: [
                { name: 'FAULTLINE_JOB', value: `${ns}/${name}` },
                { name: 'FAULTLINE_STATE_DIR', value: '/tmp/faultline' },
              ],
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'script', mountPath: '/script', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'script', configMap: { name } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };

  // One deletion, however many paths ask for it (stop, the end, a signal); each waits for it.
  let deleting: Promise<void> | undefined;
  const deleteJob = () => (deleting ??= deleteOnce());
  const deleteOnce = async () => {
    const outcome = await loadJobUndoer.undo(undo, { signal: AbortSignal.timeout(60_000), log: o.log, options: o.options });
    journal.write({ type: 'undone', id: intentId, outcome });
    // Wait until the Job object is gone, so "after the run" means after (its pods go with it).
    for (let i = 0; i < 120; i++) {
      try {
        await batch.readNamespacedJob({ name, namespace: ns });
      } catch (err) {
        if (statusOf(err) === 404) return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    o.log.warn(`Job ${ns}/${name} is still there 60 s after its deletion`);
  };

  let result: DistributedResult | undefined;
  let failed: unknown;
  try {
    try {
      await batch.createNamespacedJob({ namespace: ns, body: job });
    } catch (err) {
      throw new PreflightError(`creating Job ${ns}/${name} in ${o.context} failed: ${apiMessage(err)}`, { cause: err });
    }
    o.onJob?.({ namespace: ns, name, runId });
    const created = await batch.readNamespacedJob({ name, namespace: ns });
    const owner = [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: created.metadata!.uid!, controller: false, blockOwnerDeletion: false }];
    const meta = { name, namespace: ns, labels, ownerReferences: owner };
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: meta, data: { 'script.js': code } } });
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: meta } });
    // The pods may read their own Job (the start barrier) and nothing else.
    await rbacApi.createNamespacedRole({ namespace: ns, body: { metadata: meta, rules: [{ apiGroups: ['batch'], resources: ['jobs'], resourceNames: [name], verbs: ['get'] }] } });
    await rbacApi.createNamespacedRoleBinding({ namespace: ns, body: { metadata: meta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: ns }] } });
    journal.write({ type: 'applied', id: intentId });
    const fleet = new JobFleet({ c, batch, ns, name, parallelism: o.parallelism, log: o.log, deleteJob });
    result = await coordinate(script, run, fleet, { workers: o.parallelism, env: o.env, log: o.log, signal: o.signal });
  } catch (err) {
    failed = err;
  } finally {
    try {
      await deleteJob();
      journal.write({ type: 'end', verdict: result ? (result.exitCode === 0 ? 'passed' : 'failed') : 'error', exitCode: result?.exitCode });
      journal.close();
      indexed.finish();
    } catch (err) {
      journal.write({ type: 'undo-failed', id: intentId, error: (err as Error).message });
      journal.close();
      o.log.error(`${(err as Error).message}\n    fix by hand: ${loadJobUndoer.manualFix?.(undo)}; then faultline rollback --run-id ${runId}`);
      if (!failed) failed = err;
    }
  }
  if (failed) throw failed;
  return result!;
}

interface JobFleetOptions {
  c: import('../environments/kubernetes/clients.js').KubeClients;
  batch: import('@kubernetes/client-node').BatchV1Api;
  ns: string;
  name: string;
  parallelism: number;
  log: Logger;
  deleteJob: () => Promise<void>;
}

/**
 * The pods of the Job as a Fleet: their logs are followed through the API (a broken stream is
 * read again from the start; the stream's sequence numbers drop what was merged already), the
 * barrier is an annotation on the Job, and stopping deletes the Job (SIGTERM to every pod, each
 * sends its last aggregates before it exits).
 */
class JobFleet implements Fleet {
  readonly leadMs = 3000;
  readonly readyTimeoutMs = 300_000;
  private resolveExited!: (codes: number[]) => void;
  readonly exited = new Promise<number[]>((r) => (this.resolveExited = r));
  private readonly codes: (number | undefined)[];
  private readonly following = new Map<string, Promise<void>>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: JobFleetOptions) {
    this.codes = new Array<number | undefined>(o.parallelism).fill(undefined);
  }

  async launch(onLine: (line: string) => void): Promise<void> {
    const { c, ns, name } = this.o;
    await this.o.batch.patchNamespacedJob({ name, namespace: ns, body: { spec: { suspend: false } } }, (await import('../environments/kubernetes/clients.js')).MERGE_PATCH);
    const { k8s } = await import('../environments/kubernetes/clients.js');
    const logs = new k8s.Log(c.kc);
    const seenPods = new Map<string, number>();
    const follow = (pod: string, index: number): Promise<void> =>
      (async () => {
        // Read until the container has terminated and its log ends; re-read after a broken stream.
        for (let attempt = 0; attempt < 50; attempt++) {
          const pipe = new PassThrough();
          const rl = createInterface({ input: pipe, crlfDelay: Infinity });
          rl.on('line', onLine);
          const ended = new Promise<void>((r) => rl.on('close', r));
          try {
            await logs.log(ns, pod, 'worker', pipe, { follow: true, pretty: false, timestamps: false });
            await ended;
          } catch (err) {
            pipe.end();
            if ((err as { code?: number }).code === 404) return; // the pod is gone
          }
          const p = await c.core.readNamespacedPod({ name: pod, namespace: ns }).catch(() => undefined);
          const term = p?.status?.containerStatuses?.[0]?.state?.terminated;
          if (!p || term) {
            if (term) this.codes[index] = term.exitCode;
            return;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      })();
    const poll = async () => {
      try {
        const pods = (await c.core.listNamespacedPod({ namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
        for (const p of pods) {
          const pod = p.metadata!.name!;
          const index = Number(p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] ?? p.metadata?.labels?.['batch.kubernetes.io/job-completion-index']);
          if (!Number.isInteger(index)) continue;
          seenPods.set(pod, index);
          const cs = p.status?.containerStatuses?.[0];
          const waiting = cs?.state?.waiting?.reason;
          if (waiting && FATAL_WAITING.has(waiting) && this.codes[index] === undefined) {
            this.o.log.error(`pod ${pod} (segment ${index}) cannot start: ${waiting}${cs?.state?.waiting?.message ? `: ${cs.state.waiting.message}` : ''}`);
            this.codes[index] = K6Exit.invalidConfig;
            this.stop();
          }
          if (!this.following.has(pod) && (cs?.state?.running || cs?.state?.terminated)) {
            this.following.set(pod, follow(pod, index));
          }
        }
        // Settled: every segment has a pod whose log was read to the end, or, once stopping,
        // no pod left to read.
        const settled = await this.settled(pods.map((p) => p.metadata!.name!), seenPods);
        if (settled) {
          // a pod deleted (stop) before its status was read: its end line, if it came, decides
          this.resolveExited(this.codes.map((x) => x ?? UNKNOWN_EXIT));
          return;
        }
      } catch (err) {
        this.o.log.warn(`watching the pods of Job ${ns}/${name}: ${(err as Error).message}`);
      }
      this.timer = setTimeout(() => void poll(), 1000);
    };
    void poll();
  }

  /** When each pod was first seen gone while its log was still being read. */
  private readonly goneAt = new Map<string, number>();

  private async settled(live: string[], seen: Map<string, number>): Promise<boolean> {
    const done = new Set<number>();
    for (const [pod, index] of seen) {
      const f = this.following.get(pod);
      const read = f ? await Promise.race([f.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]) : false;
      if (read) done.add(index);
      else if (!live.includes(pod) && this.stopping) {
        // A deleted pod's log may still be arriving (its last aggregates and end line): give
        // the stream 15 s to finish before counting the pod as done without them.
        if (!f) done.add(index);
        else {
          const since = this.goneAt.get(pod) ?? Date.now();
          this.goneAt.set(pod, since);
          if (Date.now() - since > 15_000) done.add(index);
        }
      } else if (this.codes[index] !== undefined && !f) done.add(index);
    }
    return done.size === this.o.parallelism || (this.stopping && live.length === 0 && done.size === seen.size);
  }

  async release(startAt: number): Promise<void> {
    const { MERGE_PATCH } = await import('../environments/kubernetes/clients.js');
    await this.o.batch.patchNamespacedJob({ name: this.o.name, namespace: this.o.ns, body: { metadata: { annotations: { [START_AT_ANNOTATION]: String(startAt) } } } }, MERGE_PATCH);
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    void this.o.deleteJob().catch((err: Error) => this.o.log.error(err.message));
  }
}
