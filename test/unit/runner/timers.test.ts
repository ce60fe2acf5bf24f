// Long waits: Node fires a setTimeout above 2^31−1 ms (about 24.8 days) after 1 ms, so a
// `for: 30d` fault would be reverted at once while the report said 30d. sleep() chunks such waits.
// The fake clock below behaves like Node on purpose (an over-long delay becomes 1 ms), so a sleep
// that handed Node the whole delay would fail these tests.
import { expect } from 'chai';
import { MAX_TIMER_MS, sleep, type Clock } from '../../../src/runner/timers.js';
import { buildSchedule } from '../../../src/runner/schedule.js';
import { parseExperiment } from '../../../src/experiment/load.js';

class NodeLikeFakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  /** Delays handed to setTimeout, to see the chunks. */
  readonly delays: number[] = [];
  now() {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    this.delays.push(ms);
    const delay = ms > MAX_TIMER_MS || ms < 1 ? 1 : ms; // what Node does, with a TimeoutOverflowWarning
    const id = this.nextId++;
    this.timers.push({ at: this.t + delay, fn, id });
    return id;
  }
  clearTimeout(id: unknown) {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  /** Moves time forward, firing due timers in order (and the promise jobs they schedule). */
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await Promise.resolve();
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

const DAY = 86_400_000;

describe('timers longer than Node allows', () => {
  it('Node itself fires a timer above 2^31−1 ms almost at once (why sleep chunks)', async () => {
    const started = Date.now();
    const warned = new Promise<void>((r) => process.once('warning', () => r()));
    await new Promise<void>((r) => setTimeout(r, 30 * DAY));
    await warned;
    expect(Date.now() - started).to.be.below(5_000);
  });

  it('a 30-day sleep holds for 30 days on a clock that truncates like Node, in chunks no longer than the maximum', async () => {
    const clock = new NodeLikeFakeClock();
    let done = false;
    void sleep(30 * DAY, new AbortController().signal, clock).then(() => (done = true));
    await clock.advance(1);
    expect(done, 'not after 1 ms').to.equal(false);
    await clock.advance(25 * DAY);
    expect(done, 'not after 25 days').to.equal(false);
    await clock.advance(5 * DAY - 2);
    expect(done, 'not 1 ms before 30 days').to.equal(false);
    await clock.advance(1);
    expect(done, 'at 30 days').to.equal(true);
    expect(clock.delays.every((d) => d <= MAX_TIMER_MS)).to.equal(true);
    expect(clock.delays.length).to.equal(2);
  });

  it('a fault with for: 30d is reverted 30 days after it was applied, not 1 ms after', async () => {
    const exp = parseExperiment(
      `apiVersion: faultline/v1
kind: Experiment
metadata: { name: long }
environment:
  toxiproxy: { url: "http://127.0.0.1:8474", proxies: [{ name: api }] }
faults:
  - toxiproxy.latency: { proxy: api, latency: 100ms }
    for: 30d
`,
      'long.yaml',
      {},
    );
    const [fault] = buildSchedule(exp).faults;
    expect(fault.endMs - fault.startMs).to.equal(30 * DAY);
    const clock = new NodeLikeFakeClock();
    let revertedAt: number | undefined;
    void sleep(fault.endMs - fault.startMs, new AbortController().signal, clock).then(() => (revertedAt = clock.now()));
    await clock.advance(31 * DAY);
    expect(revertedAt).to.equal(30 * DAY);
  });

  it('an abort ends a long sleep at once, with the signal reason', async () => {
    const clock = new NodeLikeFakeClock();
    const ctl = new AbortController();
    const p = sleep(40 * DAY, ctl.signal, clock);
    await clock.advance(DAY);
    ctl.abort(new Error('SIGINT'));
    let caught: unknown;
    await p.catch((e) => (caught = e));
    expect((caught as Error).message).to.equal('SIGINT');
  });

  it('the real clock still sleeps short waits as before', async () => {
    const t = Date.now();
    await sleep(20, new AbortController().signal);
    expect(Date.now() - t).to.be.at.least(15);
  });
});
