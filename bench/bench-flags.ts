// Benchmark: the benchmarks' command-line flags (node's parseArgs) — positive numbers with defaults, and strings.
import { parseArgs } from 'node:util';

export function benchFlags<N extends string, S extends string = never>(
  argv: string[],
  numbers: Record<N, number>,
  strings: readonly S[] = [],
): Record<N, number> & Partial<Record<S, string>> {
  const names = [...Object.keys(numbers), ...strings];
  const { values } = parseArgs({ args: argv, options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])), strict: true });
  const out: Record<string, number | string> = { ...numbers };
  for (const [name, raw] of Object.entries(values)) {
    if (typeof raw !== 'string') continue;
    if (!(name in numbers)) out[name] = raw;
    else {
      const v = Number(raw);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number, got "${raw}"`);
      out[name] = v;
    }
  }
  return out as Record<N, number> & Partial<Record<S, string>>;
}
