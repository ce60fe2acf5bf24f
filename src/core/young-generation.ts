// A ceiling on V8's young generation, set from inside a running process.
//
// V8 starts the young generation's semi-spaces at 1 MiB and doubles them whenever, since the last
// growth, more bytes survived its scavenges than it holds, up to 16 MiB each on 64-bit Node 20.
// Under steady traffic that happens sooner or later, however small the live heap: a run's
// in-flight requests and its per-second buckets survive a scavenge or two, and a fault that slows
// answers keeps more of them in flight. In the 10-minute real run (bench/soak-real) the live heap
// stays at 12-16 MB while the young generation doubles from 16 to 32 MiB during the fault and
// keeps it, so the resident size steps up by 30 MiB long after the first minute
// (docs/performance.md, "A ceiling on the young generation").
//
// `--max-semi-space-size` is read only when the heap is set up, so it cannot be given to a
// running process (it would take a second process, started with the flag). The growth factor,
// `--semi-space-growth-factor`, is read at every growth: with it at 1 a growth leaves the size as
// it is. So a timer looks at the young generation once a second: at or above the ceiling, growth
// is turned off; below it (V8 shrinks the young generation when allocation slows down), it is
// turned back on. Doubling from a power of two lands on the ceiling exactly. A second doubling
// before the next look (it takes the ceiling's size in bytes surviving since the first) is not
// undone: growth stops there, one step over, until V8 shrinks the young generation.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * The default ceiling per semi-space, in MiB: an eighth of V8's own on 64-bit (16). With 8, the
 * 10-minute run still stepped by 13 MiB each time V8's memory reducer (a watchdog that collects
 * with shrinking when no full collection happened for 100 s) emptied the young generation and it
 * grew back; with 2 it is flat (docs/performance.md). The load engine's CPU at 2,000 req/s did not
 * change measurably (an A/B of 10 s runs: within the runs' own spread).
 */
export const SEMI_SPACE_CEILING_MIB = 2;

const DEFAULT_GROWTH_FACTOR = 2;

/** The size of one semi-space now, in bytes (V8 reports new_space as both of them). */
export function semiSpaceBytes(): number {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  return s ? s.space_size / 2 : 0;
}

/** True when the process was started with its own young-generation flags: they are left alone. */
export function youngGenerationFlagsGiven(): boolean {
  return /semi[-_]space/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
}

/**
 * Keeps each semi-space at or below `ceilingMiB` (rounded down to a power of two) from now on.
 * Returns the function that stops it (growth is turned back on). The timer does not keep the
 * process alive.
 */
export function capYoungGeneration(ceilingMiB = SEMI_SPACE_CEILING_MIB, everyMs = 1000): () => void {
  const ceiling = 2 ** Math.floor(Math.log2(Math.max(1, ceilingMiB))) * 1024 * 1024;
  let factor = DEFAULT_GROWTH_FACTOR;
  const set = (f: number) => {
    if (f === factor) return;
    factor = f;
    setFlagsFromString(`--semi-space-growth-factor=${f}`);
  };
  const look = () => set(semiSpaceBytes() >= ceiling ? 1 : DEFAULT_GROWTH_FACTOR);
  look();
  const timer = setInterval(look, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    set(DEFAULT_GROWTH_FACTOR);
  };
}
