// Reproduces every worked example in docs/slo-math.md (the example number is in each name).
import { expect } from 'chai';
import {
  alertFactor,
  budgetCalc,
  budgetConsumed,
  budgetOf,
  burnRate,
  computeBudget,
  errorRate,
  percentile,
  shortWindowFor,
  timeToExhaustion,
} from '../../../src/slo/math.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T = 30 * DAY;
const close = (actual: number, expected: number, eps = 1e-9) => expect(actual).to.be.closeTo(expected, eps);

describe('SLO math (docs/slo-math.md)', () => {
  describe('formulas', () => {
    const budgets: [number, number][] = [
      [0.999, 0.001],
      [0.99, 0.01],
      [0.9995, 0.0005],
      [1, 0],
      [0, 1],
    ];
    for (const [o, b] of budgets) {
      it(`budget of objective ${o} is ${b}`, () => expect(budgetOf(o)).to.equal(b));
    }

    it('error rate of no traffic is 0, not NaN', () => expect(errorRate(0, 0)).to.equal(0));
    it('a 100% objective burns infinitely on any error and not at all without', () => {
      expect(burnRate(0.01, 1)).to.equal(Infinity);
      expect(burnRate(0, 1)).to.equal(0);
    });
    it('burning at rate 1 for the whole period consumes exactly the budget', () => expect(budgetConsumed(1, T, T)).to.equal(1));
    it('time to exhaustion is infinite when nothing burns', () => expect(timeToExhaustion(0, T)).to.equal(Infinity));
  });

  it('example 1: 99.9% over 30d with 1,000,000 requests allows 1000 bad events', () => {
    const r = computeBudget({ objective: 0.999, periodMs: T, good: 1_000_000, total: 1_000_000, periodEvents: 1_000_000 });
    expect(budgetOf(0.999)).to.equal(0.001);
    expect(r.allowedBadEvents).to.equal(1000);
    expect(r.periodEventsFrom).to.equal('configured');
  });

  it('example 2: budget calc of 250 bad in 1,000,000 is 25% consumed, 75% remaining, burn 0.25', () => {
    const r = budgetCalc({ objective: 0.999, periodMs: T, total: 1_000_000, bad: 250 });
    expect(r.allowedBadEvents).to.equal(1000);
    expect(r.consumed).to.equal(0.25);
    expect(r.remaining).to.equal(0.75);
    expect(r.burnRate).to.equal(0.25);
  });

  it('example 2: with a 5-minute run the burn rate is 2160 and the budget lasts 20 minutes', () => {
    const r = budgetCalc({ objective: 0.999, periodMs: T, total: 1_000_000, bad: 250, runMs: 5 * MIN });
    expect(r.burnRate).to.equal(2160);
    expect(r.exhaustionMs).to.equal(20 * MIN);
  });

  it('example 3: a 5-minute run at 200/s with 120 bad consumes BR·w/T = 0.0231481% of the budget', () => {
    const r = computeBudget({ objective: 0.999, periodMs: T, good: 60_000 - 120, total: 60_000, durationMs: 5 * MIN });
    expect(r.errorRate).to.equal(0.002);
    expect(r.burnRate).to.equal(2);
    expect(r.periodEventsFrom).to.equal('extrapolated');
    expect(r.periodEvents).to.equal(518_400_000);
    expect(r.allowedBadEvents).to.equal(518_400);
    close(r.consumed, 120 / 518_400);
    close(r.consumed, budgetConsumed(2, 5 * MIN, T));
    close(r.consumed, 0.000231481, 1e-9);
    expect(r.exhaustionMs).to.equal(15 * DAY);
  });

  it('example 3: extrapolating from the run rate makes bad/(B·N_T) equal BR·w/T for any run', () => {
    const cases: [number, number, number][] = [
      [10_000, 50, 5 * MIN],
      [123_456, 789, 17 * MIN],
      [42, 1, 30_000],
    ];
    for (const [total, bad, w] of cases) {
      const r = computeBudget({ objective: 0.995, periodMs: 7 * DAY, good: total - bad, total, durationMs: w });
      close(r.consumed, budgetConsumed(r.burnRate, w, 7 * DAY), 1e-9);
    }
  });

  it('example 4: 40% remaining minus a 2.5% run leaves 37.5%', () => {
    const r = computeBudget({ objective: 0.999, periodMs: T, good: 1_000_000 - 25, total: 1_000_000, periodEvents: 1_000_000, remainingBefore: 0.4 });
    expect(r.consumed).to.equal(0.025);
    expect(r.remaining).to.equal(0.375);
  });

  it('example 5: maxBudgetBurn 2% of a 1000-event budget allows 20 bad events; 25 consume 2.5%', () => {
    const allowed = computeBudget({ objective: 0.999, periodMs: T, good: 0, total: 0, periodEvents: 1_000_000 }).allowedBadEvents;
    expect(0.02 * allowed).to.equal(20);
    const r = computeBudget({ objective: 0.999, periodMs: T, good: 50_000 - 25, total: 50_000, periodEvents: 1_000_000 });
    expect(r.consumed).to.equal(0.025);
    expect(r.consumed).to.be.above(0.02);
    expect((50_000 - 25) / 50_000).to.be.at.least(0.999);
  });

  describe('example 6: SRE workbook multiwindow factors for a 30-day budget', () => {
    const rows: [string, number, number, number, number][] = [
      ['page', 0.02, HOUR, 5 * MIN, 14.4],
      ['page', 0.05, 6 * HOUR, 30 * MIN, 6],
      ['ticket', 0.1, DAY, 2 * HOUR, 3],
      ['ticket', 0.1, 3 * DAY, 6 * HOUR, 1],
    ];
    for (const [purpose, consumed, long, short, factor] of rows) {
      it(`${purpose}: ${consumed * 100}% over ${long / HOUR}h is factor ${factor}, short window ${short / MIN}m`, () => {
        expect(alertFactor(consumed, T, long)).to.equal(factor);
        expect(shortWindowFor(long)).to.equal(short);
        // burning at the factor for the long window consumes exactly that share
        close(budgetConsumed(factor, long, T), consumed, 1e-12);
      });
    }
  });

  it('example 7: 2% errors against 99.9% is a burn rate of 20, above 14.4; 1% (10) is not; 20 lasts 1.5 days', () => {
    expect(burnRate(0.02, 0.999)).to.be.closeTo(20, 1e-9);
    expect(burnRate(0.02, 0.999)).to.be.above(14.4);
    expect(burnRate(0.01, 0.999)).to.be.below(14.4);
    expect(timeToExhaustion(20, T)).to.equal(1.5 * DAY);
  });

  it('example 8: 3 bad of 60 ten-second slices is 95% and consumes 1.1574% of a 30-day budget', () => {
    const slice = 10_000;
    const r = computeBudget({ objective: 0.999, periodMs: T, good: 57, total: 60, rate: 1 / slice });
    expect(57 / 60).to.equal(0.95);
    expect(r.periodEvents).to.equal(259_200);
    close(r.allowedBadEvents, 259.2);
    close(r.consumed, 3 / 259.2);
    expect(+(r.consumed * 100).toFixed(4)).to.equal(1.1574);
  });

  it('example 9: nearest-rank percentiles of 10..100 ms are p50 50, p90 90, p99 100', () => {
    const xs = [100, 30, 20, 10, 50, 40, 60, 70, 90, 80];
    expect(percentile(xs, 50)).to.equal(50);
    expect(percentile(xs, 90)).to.equal(90);
    expect(percentile(xs, 99)).to.equal(100);
    expect(percentile(xs, 0)).to.equal(10);
    expect(percentile([], 99)).to.equal(null);
  });
});
