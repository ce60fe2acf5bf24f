// Small helpers for commander options shared by several commands.
import { InvalidArgumentError } from 'commander';

/** For repeatable options: `--allow-context a --allow-context b` gives ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Help of `--set path=value`, repeatable, for run, plan, validate and gameday: a field of the
 * experiment overridden from the command line and validated like the file. Declare it with
 * `.option('--set <path=value>', SET_HELP, collect, [])` and read the values with
 * `parseOverrides(o.set)` from src/experiment/overrides.ts (exit 2 on a bad one, via failWith).
 */
export const SET_HELP = "override a field, validated like the file, e.g. --set 'faults[0].for=10s' --set traffic.rate=50/s (repeatable)";

/**
 * A whole-number option within [min, max]; anything else (a fraction, "ten", out of range) is
 * refused by commander with exit 2, naming the option and the bounds.
 */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
}
