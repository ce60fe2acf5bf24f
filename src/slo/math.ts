// Error-budget arithmetic. Pure functions; docs/slo-math.md states every formula with worked
// examples, and test/unit/slo/math.test.ts reproduces each example.
//
// Notation: o objective (0.999), B = 1 − o budget, T the SLO period (window), w a sub-window,
// E(w) = bad/total over w, BR(w) = E(w)/B. All durations are milliseconds.

/** B = 1 − o: the share of events allowed to be bad. */
export function budgetOf(objective: number): number {
  // 1 - 0.999 is 0.0010000000000000009 in floating point; rounding keeps reports and
  // "allowed bad events" exact (12 significant digits are far more than any objective needs).
  return round12(1 - objective);
}

/** E = bad/total; 0 when nothing happened (no traffic burns no budget). */
export function errorRate(bad: number, total: number): number {
  return total > 0 ? bad / total : 0;
}

/** BR = E/B. An objective of 100% has no budget: any error is an infinite burn. */
export function burnRate(errorRateValue: number, objective: number): number {
  const b = budgetOf(objective);
  if (b === 0) return errorRateValue > 0 ? Infinity : 0;
  return errorRateValue / b;
}

/** Share of the period's budget consumed by burning at BR for w: BR·w/T. */
export function budgetConsumed(burn: number, windowMs: number, periodMs: number): number {
  return (burn * windowMs) / periodMs;
}

/** How long until the whole budget is gone at a steady burn rate: T/BR. */
export function timeToExhaustion(burn: number, periodMs: number): number {
  return burn > 0 ? periodMs / burn : Infinity;
}

/**
 * The burn-rate factor that consumes `consumedShare` of the period's budget within `longWindowMs`
 * (SRE workbook, multiwindow alerts): factor = budget% × T / long window.
 */
export function alertFactor(consumedShare: number, periodMs: number, longWindowMs: number): number {
  return round12((consumedShare * periodMs) / longWindowMs);
}

/** The SRE workbook's short window for a long one: 1/12 of it (1h → 5m, 6h → 30m, 1d → 2h, 3d → 6h). */
export function shortWindowFor(longWindowMs: number): number {
  return longWindowMs / 12;
}

export interface BudgetInput {
  objective: number;
  /** The SLO period T. */
  periodMs: number;
  good: number;
  total: number;
  /** How long the measured events took (the run or phase), for the burn rate. */
  durationMs?: number;
  /**
   * Events expected over the whole period. When omitted it is extrapolated from `rate`
   * (events per ms, normally the whole run's), else from total/durationMs.
   */
  periodEvents?: number;
  /** Events per millisecond used for extrapolation when periodEvents is absent. */
  rate?: number;
  /** Share of the period's budget left before these events (0..1), e.g. from the ledger. */
  remainingBefore?: number;
}

export interface BudgetFigures {
  /** total − good */
  badEvents: number;
  /** B × period events: how many bad events the whole period may have. */
  allowedBadEvents: number;
  /** Events expected over the period, and where that figure came from. */
  periodEvents: number;
  periodEventsFrom: 'configured' | 'extrapolated';
  errorRate: number;
  burnRate: number;
  /** bad / allowed bad: the share of the period's budget these events consumed. */
  consumed: number;
  /** remainingBefore − consumed, when remainingBefore was given (may go negative: overspent). */
  remaining?: number;
  /** At this run's burn rate, how long the full budget would last (ms); null when not burning. */
  exhaustionMs: number | null;
}

/**
 * Budget accounting for a set of events. consumed = bad / (B × N_T), where N_T is the number of
 * events expected over the period. With N_T extrapolated from the run's own rate (N_T = total·T/w),
 * this equals BR·w/T exactly; see docs/slo-math.md.
 */
export function computeBudget(input: BudgetInput): BudgetFigures {
  const { objective, periodMs, good, total } = input;
  const bad = Math.max(0, total - good);
  const b = budgetOf(objective);
  let periodEvents: number;
  let from: BudgetFigures['periodEventsFrom'];
  if (input.periodEvents !== undefined) {
    periodEvents = input.periodEvents;
    from = 'configured';
  } else {
    const rate = input.rate ?? (input.durationMs && input.durationMs > 0 ? total / input.durationMs : 0);
    periodEvents = rate * periodMs;
    from = 'extrapolated';
  }
  const allowed = round12(b * periodEvents);
  const consumed = allowed > 0 ? bad / allowed : bad > 0 ? Infinity : 0;
  const e = errorRate(bad, total);
  const br = burnRate(e, objective);
  const out: BudgetFigures = {
    badEvents: bad,
    allowedBadEvents: allowed,
    periodEvents: round12(periodEvents),
    periodEventsFrom: from,
    errorRate: e,
    burnRate: round12(br),
    consumed: round12(consumed),
    exhaustionMs: br > 0 && Number.isFinite(br) ? timeToExhaustion(br, periodMs) : br === Infinity ? 0 : null,
  };
  if (input.remainingBefore !== undefined) out.remaining = round12(input.remainingBefore - consumed);
  return out;
}

/**
 * Nearest-rank percentile of already sorted values: the smallest value with at least p% of
 * values at or below it. Chosen over interpolation because it is always an observed latency.
 */
export function percentileSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function percentile(values: readonly number[], p: number): number | null {
  return percentileSorted([...values].sort((a, b) => a - b), p);
}

/** Rounds to 12 significant digits, which hides binary floating-point noise at any magnitude. */
export function round12(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(12));
}

export interface CalcInput {
  objective: number;
  periodMs: number;
  /** Events: the window's, or the run's when periodEvents is given. */
  total: number;
  bad: number;
  /** How long the bad events took to happen (the run), for the burn rate. */
  runMs?: number;
  /** Events expected over the window, when total and bad are only the run's. */
  periodEvents?: number;
  /** Share of the budget left before (default 1: the whole budget). */
  remainingBefore?: number;
}

export interface CalcResult {
  budget: number;
  allowedBadEvents: number;
  consumed: number;
  remaining: number;
  errorRate: number;
  /** consumed·T/w with a run duration w; E/B (the window's average) without one. */
  burnRate: number;
  /** T/BR in ms; null when nothing burns. */
  exhaustionMs: number | null;
}

/**
 * `faultline budget calc`: total and bad are the window's events (unless periodEvents says how
 * many the window has). consumed = bad/(B·N_T). The burn rate is the pace of consumption:
 * consumed·T/w over a run of length w, which is E/B when the run's traffic rate is the window's.
 */
export function budgetCalc(input: CalcInput): CalcResult {
  const b = budgetOf(input.objective);
  const periodEvents = input.periodEvents ?? input.total;
  const allowed = round12(b * periodEvents);
  const consumed = allowed > 0 ? input.bad / allowed : input.bad > 0 ? Infinity : 0;
  const e = errorRate(input.bad, input.total);
  const br = input.runMs && input.runMs > 0 ? (consumed * input.periodMs) / input.runMs : burnRate(e, input.objective);
  return {
    budget: b,
    allowedBadEvents: allowed,
    consumed: round12(consumed),
    remaining: round12((input.remainingBefore ?? 1) - consumed),
    errorRate: round12(e),
    burnRate: round12(br),
    exhaustionMs: br > 0 && Number.isFinite(br) ? round12(timeToExhaustion(br, input.periodMs)) : br === Infinity ? 0 : null,
  };
}
