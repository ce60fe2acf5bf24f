// `faultline load SCRIPT`: runs a k6-API script on faultline's engine, the way `k6 run` does:
// k6's end-of-test summary and k6's exit codes (99 thresholds failed, 104 invalid config,
// 107 script exception, 108 aborted).
import { Option, type Command } from 'commander';
import { collect } from '../options.js';


export function register(program: Command) {
  program
    .command('load')
    .description('Run a k6-API load script (TypeScript or JavaScript) on faultline\'s engine; exits like `k6 run`.')
    .argument('<script>', 'the script, e.g. experiments/load/checkout.ts')
    .option('-e, --env <K=V>', 'set __ENV.K for the script (repeatable)', collect, [])
    .option('-o, --out <dir>', 'write summary.json and metrics.jsonl (k6 --out json lines) here')
    .option('--summary-export <file>', 'write summary.json here (without metrics.jsonl)')
    .option('-q, --quiet', 'print no summary')
    .option('--allow-open-anywhere', "let the script's open() read files outside its own directory")
    .option('--offline', 'take remote (https://) modules from the on-disk cache only; never fetch')
    .option('--vendor', "write the script's remote modules to vendor/ next to it (used before any fetch), then exit")
    .option('--schedule-quantum <duration>', 'arrival-rate scenarios: start the iterations due within this long together, each late by less than it (default 10ms; 1ms is the finest, at more CPU per request: docs/load-engine.md)')
    .option('--workers <n>', 'split the arrival-rate scenarios across N worker processes (execution segments; "auto" = the machine\'s cores); metrics merged exactly, thresholds on the merge')
    .option('--on-cluster <context>', 'run the workers as the pods of an Indexed Job in this kube context (see --parallelism, --namespace, --image)')
    .option('--parallelism <n>', 'with --on-cluster: how many pods (execution segments)', '2')
    .option('--namespace <ns>', 'with --on-cluster: the namespace of the Job', 'default')
    .option('--image <ref>', 'with --on-cluster: the faultline image the pods run (built by scripts/faultline-image.mjs)')
    .option('--kubeconfig <path>', 'with --on-cluster: the kubeconfig (else $KUBECONFIG, ~/.kube/config)')
    .option('--allow-context <ctx>', 'with --on-cluster: allow this kube context (repeatable; or FAULTLINE_ALLOW_CONTEXTS, or the kubeconfig\'s faultline.dev/allow)', collect, [])
    .addOption(new Option('--segment <i/n>', 'run only execution segment i of n (what each --workers worker runs); job/N takes i from JOB_COMPLETION_INDEX').hideHelp())
    .addOption(new Option('--stream', 'as a worker: stream per-second aggregates on stdout (src/traffic/k6/stream.ts)').hideHelp())
    .addOption(new Option('--barrier <kind>', 'as a worker: how the start barrier is released (stdin, job, none)').default('none').hideHelp())
    .addOption(new Option('--records', 'as a worker: stream every request record too').hideHelp())
    .action(async (script: string, o: { env: string[]; out?: string; summaryExport?: string; quiet?: boolean; allowOpenAnywhere?: boolean; offline?: boolean; vendor?: boolean; scheduleQuantum?: string; workers?: string; segment?: string; stream?: boolean; barrier: string; records?: boolean; onCluster?: string; parallelism: string; namespace: string; image?: string; kubeconfig?: string; allowContext: string[] }) => {
      const [{ TestRun }, { createLogger }, { K6Error, K6Exit }, { writeFile }] = await Promise.all([
        import('../../traffic/k6/engine.js'),
        import('../../core/log.js'),
        import('../../traffic/k6/errors.js'),
        import('node:fs/promises'),
      ]);
      const log = createLogger();
      const scheduleQuantumMs = o.scheduleQuantum === undefined ? undefined : await parseQuantum(o.scheduleQuantum);
      if (typeof scheduleQuantumMs === 'string') {
        log.error(scheduleQuantumMs);
        process.exitCode = K6Exit.invalidConfig;
        return;
      }
      if (o.vendor) {
        const [{ compileScript, vendorDirOf }, { writeVendored }] = await Promise.all([import('../../traffic/k6/loader.js'), import('../../traffic/k6/remote.js')]);
        try {
          let written: string[] = [];
          await compileScript(script, { offline: o.offline, ignoreVendor: true, onRemoteModules: async (bodies) => void (written = await writeVendored(vendorDirOf(script), bodies)) });
          for (const f of written) process.stdout.write(`vendored ${f}\n`);
          if (!written.length) process.stdout.write('the script imports no remote modules\n');
        } catch (err) {
          if (err instanceof K6Error) {
            log.error(err.message);
            process.exitCode = err.k6ExitCode;
          } else throw err;
        }
        return;
      }
      const env: Record<string, string> = {};
      for (const kv of o.env) {
        const eq = kv.indexOf('=');
        if (eq <= 0) {
          log.error(`--env ${JSON.stringify(kv)}: expected KEY=VALUE`);
          process.exitCode = K6Exit.invalidConfig;
          return;
        }
        env[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        if (o.onCluster !== undefined) {
          const { loadOnCluster } = await import('../load-cluster.js');
          const result = await loadOnCluster(script, {
            context: o.onCluster,
            parallelism: Number(o.parallelism),
            namespace: o.namespace,
            image: o.image,
            env,
            log,
            signal: controller.signal,
            options: { kubeconfig: o.kubeconfig, allowContexts: o.allowContext },
            allowOpenAnywhere: o.allowOpenAnywhere,
            scheduleQuantumMs,
          });
          const { writeFile: wf, mkdir } = await import('node:fs/promises');
          if (o.out) {
            await mkdir(o.out, { recursive: true });
            await wf((await import('node:path')).join(o.out, 'summary.json'), `${JSON.stringify(result.summary, null, 2)}\n`);
          }
          if (o.summaryExport) await wf(o.summaryExport, `${JSON.stringify(result.summary, null, 2)}\n`);
          if (!o.quiet) process.stdout.write(result.summaryText);
          if (result.exitCode === K6Exit.thresholdsFailed) log.error('thresholds on metrics have been crossed (on the merged metrics of every pod)');
          process.exitCode = result.exitCode;
          return;
        }
        if (o.stream) {
          const [{ runWorker, BARRIERS }, { parseSegment }] = await Promise.all([import('../../traffic/k6/worker.js'), import('../../traffic/k6/distributed.js')]);
          if (!(BARRIERS as readonly string[]).includes(o.barrier)) throw new (await import('../../traffic/k6/errors.js')).K6ConfigError(`--barrier: expected one of ${BARRIERS.join(', ')}, got ${JSON.stringify(o.barrier)}`);
          if (o.segment === undefined) throw new (await import('../../traffic/k6/errors.js')).K6ConfigError('--stream needs --segment');
          const result = await runWorker(script, {
            segment: parseSegment(o.segment),
            env,
            log,
            barrier: o.barrier as 'stdin' | 'job' | 'none',
            records: o.records,
            outDir: o.out,
            signal: controller.signal,
            allowOpenAnywhere: o.allowOpenAnywhere,
            offline: o.offline,
            scheduleQuantumMs,
          });
          // Its own thresholds are judged by the coordinator, on the merge (its verdict is in its
          // end line): failing here would fail an Indexed Job and stop the sibling pods.
          process.exitCode = result.exitCode === K6Exit.thresholdsFailed ? K6Exit.ok : result.exitCode;
          return;
        }
        if (o.workers !== undefined) {
          const [{ runDistributed }, { availableParallelism }, { join }] = await Promise.all([import('../../traffic/k6/distributed.js'), import('node:os'), import('node:path')]);
          const workers = o.workers === 'auto' ? availableParallelism() : Number(o.workers);
          const result = await runDistributed(script, {
            workers,
            env,
            log,
            outDir: o.out ? join(o.out, 'workers') : undefined,
            workerCommand: [process.execPath, process.argv[1]],
            signal: controller.signal,
            allowOpenAnywhere: o.allowOpenAnywhere,
            offline: o.offline,
            scheduleQuantumMs,
          });
          if (o.out) await writeFile(join(o.out, 'summary.json'), `${JSON.stringify(result.summary, null, 2)}\n`);
          if (o.summaryExport) await writeFile(o.summaryExport, `${JSON.stringify(result.summary, null, 2)}\n`);
          if (!o.quiet) process.stdout.write(result.summaryText);
          if (result.exitCode === K6Exit.thresholdsFailed) log.error('thresholds on metrics have been crossed (on the merged metrics of all workers)');
          process.exitCode = result.exitCode;
          return;
        }
        const segment = o.segment !== undefined ? (await import('../../traffic/k6/distributed.js')).parseSegment(o.segment) : undefined;
        const run = await TestRun.load(script, { env, log, outDir: o.out, signal: controller.signal, allowOpenAnywhere: o.allowOpenAnywhere, offline: o.offline, segment, scheduleQuantumMs });
        if (!o.quiet) process.stdout.write(run.header(o.out));
        // k6-like progress on stderr: rewritten in place on a terminal, a line every 10 s otherwise
        const tty = process.stderr.isTTY === true;
        const progress = o.quiet
          ? undefined
          : setInterval(
              () => {
                const st = run.stats();
                const secs = ((Date.now() - run.startedAt) / 1000).toFixed(1);
                const text = `running (${secs}s), ${st.vusActive}/${st.vusInitialized} VUs, ${st.iterationsCompleted} complete and ${st.iterationsInterrupted} interrupted iterations`;
                process.stderr.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
              },
              tty ? 1000 : 10_000,
            ).unref();
        const result = await run.run().finally(() => {
          if (progress) clearInterval(progress);
          if (progress && tty) process.stderr.write('\r\x1b[K');
        });
        if (o.summaryExport) await writeFile(o.summaryExport, `${JSON.stringify(result.summary, null, 2)}\n`);
        if (!o.quiet) process.stdout.write(result.summaryText);
        if (result.summaryStderr) process.stderr.write(result.summaryStderr);
        if (result.exitCode === K6Exit.thresholdsFailed) log.error('thresholds on metrics have been crossed');
        process.exitCode = result.exitCode;
      } catch (err) {
        if (err instanceof K6Error) {
          log.error(err.message);
          process.exitCode = err.k6ExitCode;
        } else throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** --schedule-quantum: a k6 duration ("5ms", "0.5s") from 1 ms to 1 s, else what is wrong with it. */
async function parseQuantum(text: string): Promise<number | string> {
  const { parseK6Duration } = await import('../../traffic/k6/duration.js');
  let ms: number;
  try {
    ms = parseK6Duration(text);
  } catch (err) {
    return `--schedule-quantum: ${(err as Error).message}`;
  }
  if (!(ms >= 1 && ms <= 1000)) return `--schedule-quantum: expected a duration from 1ms to 1s, got ${JSON.stringify(text)}`;
  return ms;
}
