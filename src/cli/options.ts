// Small helpers for commander options shared by several commands.

/** For repeatable options: `--allow-context a --allow-context b` gives ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
