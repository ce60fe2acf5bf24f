// A virtual user: its own copy of the script module, its own connections, its own tags. Many
// VUs share one event loop; a VU is busy while an iteration's promise is pending.
import type { Logger } from '../../core/log.js';
import type { RecordSink } from '../../core/records.js';
import { Pool, type TlsSettings } from './client.js';
import { CookieJar } from './cookies.js';
import { Interrupted } from './errors.js';
import type { CompiledScript, ModuleInstance } from './loader.js';
import type { Sink, Tags } from './sink.js';
import { createHttpModule } from './http.js';
import { createK6Module } from './k6.js';
import { createMetricsModule } from './metrics.js';
import { createExecutionModule } from './execution.js';
import { createDataModule } from './data.js';
import { createCryptoModule, createEncodingModule } from './encoding.js';
import { createHtmlModule } from './html.js';

export interface ScenarioState {
  name: string;
  executor: string;
  startTime: number;
  /** Iterations started in this scenario by all its VUs (exec.scenario.iterationInTest). */
  iterations: number;
  /** Iterations of this scenario that have ended (passed or threw): what k6's progress counts. */
  finished?: number;
  exec: string;
  tags: Tags;
  env: Record<string, string>;
  /** exec.scenario.progress: 0..1, by iterations or by time as the executor plans them. */
  progress?: () => number;
}

/** What a VU needs from the test run around it. */
export interface VUHost {
  readonly sink: Sink;
  readonly log: Logger;
  readonly script: CompiledScript;
  readonly userAgent: string;
  readonly insecureSkipTLSVerify: boolean;
  /** options.tlsVersion, tlsCipherSuites, tlsAuth. */
  readonly tls: TlsSettings;
  /** options.noConnectionReuse (read when a connection is released). */
  readonly noConnectionReuse: boolean;
  readonly discardResponseBodies: boolean;
  readonly maxRedirects: number;
  readonly noCookiesReset: boolean;
  /** options.hosts, as parsed; empty when unused. */
  readonly hosts: ReadonlyMap<string, { host: string; port?: number }>;
  readonly onRequest?: RecordSink;
  readonly testTags: Tags;
  readonly startedAt: number;
  abortTest(reason: string): void;
  /** The script reached an unsupported member at run time: the run ends with 107. */
  unsupported(err: Error): void;
  stats(): { vusActive: number; vusInitialized: number; iterationsCompleted: number; iterationsInterrupted: number };
  options(): Record<string, unknown>;
}

export class VU {
  readonly pool: Pool;
  instance!: ModuleInstance;
  scenario: ScenarioState | undefined;
  group = '';
  tags: Tags;
  iterInInstance = 0;
  iterInScenario = 0;
  /** exec.scenario.iterationInTest of the VU's current iteration. */
  iterInTest = 0;
  interrupted = false;
  /** Set while a looping executor (constant-vus, ramping-vus, ...) keeps this VU busy. */
  looping = false;
  busy = false;
  /** The VU's own jar (http.cookieJar()); params.jar replaces it for one request. */
  readonly cookieJar = new CookieJar();
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; reject(e: Error): void }>();
  /** Promises of http.asyncRequest() not yet settled: the iteration waits for them. */
  readonly pendingAsync = new Set<Promise<unknown>>();
  private readonly modules = new Map<string, unknown>();

  constructor(
    readonly host: VUHost,
    readonly id: number,
  ) {
    this.pool = new Pool(host.userAgent, () => host.tls, host);
    this.tags = { ...host.testTags };
  }

  /** Runs the script's init code for this VU. */
  async init(env: Record<string, string>): Promise<void> {
    const script = this.host.script;
    this.instance = await script.factory((name) => this.require(name), env, { id: this.id }, (file, mode) => {
      // k6 allows open() only in the init context
      if (this.instance) throw new Error('open() can only be called in the init context (top-level code)');
      return script.open(file, mode);
    });
  }

  require(name: string): unknown {
    let m = this.modules.get(name);
    if (m) return m;
    switch (name) {
      case 'k6':
        m = createK6Module(this);
        break;
      case 'k6/http':
        m = createHttpModule(this);
        break;
      case 'k6/metrics':
        m = createMetricsModule(this);
        break;
      case 'k6/execution':
        m = createExecutionModule(this);
        break;
      case 'k6/data':
        m = createDataModule(this);
        break;
      case 'k6/encoding':
        m = createEncodingModule();
        break;
      case 'k6/crypto':
        m = createCryptoModule();
        break;
      case 'k6/html':
        m = createHtmlModule();
        break;
      case 'k6/timers': {
        // the same functions k6 also offers as globals; callbacks run on the shared event loop
        const timers = {
          setTimeout: (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => setTimeout(fn, ms, ...args),
          clearTimeout: (t: NodeJS.Timeout | undefined) => clearTimeout(t),
          setInterval: (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => setInterval(fn, ms, ...args),
          clearInterval: (t: NodeJS.Timeout | undefined) => clearInterval(t),
          default: undefined as unknown,
        };
        timers.default = timers;
        m = timers;
        break;
      }
      default:
        throw new Error(`unsupported k6 module ${JSON.stringify(name)}`);
    }
    this.modules.set(name, m);
    return m;
  }

  assign(s: ScenarioState): void {
    this.scenario = s;
    this.iterInScenario = 0;
    this.tags = { ...this.host.testTags, ...s.tags, scenario: s.name };
  }

  setGroup(path: string): void {
    this.group = path;
    // built without `delete`, which would turn the tags into a slow dictionary-mode object
    const { group: _outer, ...rest } = this.tags;
    this.tags = path === '' ? rest : { ...rest, group: path };
  }

  sleep(seconds: number): Promise<void> {
    if (this.interrupted) return Promise.reject(new Interrupted());
    const ms = Math.max(0, Number(seconds) * 1000);
    return new Promise<void>((resolve, reject) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        reject,
      };
      this.sleeps.add(entry);
    });
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.pendingAsync.add(p);
    const forget = () => this.pendingAsync.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Waits until every asyncRequest this iteration started has settled (their outcomes are the script's). */
  async settleAsync(): Promise<void> {
    while (this.pendingAsync.size) await Promise.allSettled([...this.pendingAsync]);
  }

  /** Hard stop: pending requests and sleeps of this VU end now; its iteration is interrupted. */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.pool.close();
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.reject(new Interrupted());
    }
    this.sleeps.clear();
  }
}
