// Small helpers for commander options shared by several commands.

/** For repeatable options: `--allow-context a --allow-context b` gives ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--set path=value`, repeatable, for run, plan, validate and gameday: a field of the experiment
 * overridden from the command line and validated like the file (src/experiment/overrides.ts).
 * Read the values with `parseOverrides(o.set)` from src/experiment/overrides.ts.
 */
export function addSetOption<C extends { option(flags: string, description: string, fn: (v: string, p: string[]) => string[], defaultValue: string[]): C }>(cmd: C): C {
  return cmd.option('--set <path=value>', "override a field, validated like the file, e.g. --set 'faults[0].for=10s' --set traffic.rate=50/s (repeatable)", collect, []);
}
