// CLI: output formats shared by the verbs — kubectl-style aligned tables, YAML and JSON, ages and times.
import { Option } from 'commander';
import { stringify } from 'yaml';

export type Format = 'table' | 'wide' | 'json' | 'yaml';

/** `-o json|yaml` (plus `wide` where a verb has extra columns); absent means the table. */
export function outputOption(formats: readonly Exclude<Format, 'table'>[]): Option {
  return new Option('-o, --output <format>', `output format: ${formats.join('|')}`).choices(formats);
}

/** Columns separated by three spaces, each as wide as its widest cell (kubectl's tabwriter look); no trailing blanks. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function toYaml(value: unknown): string {
  // no line folding: long hosts and regexes stay on one line, as kubectl prints them
  return stringify(value, { lineWidth: 0 });
}

/** kubectl's AGE: 45s, 12m, 5h, 3d (and `<unknown>` when the resource carries no time). */
export function age(since: string | undefined, now: number = Date.now()): string {
  const t = since === undefined ? NaN : Date.parse(since);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** ISO time → `2026-05-01 12:00:05` (UTC, second precision): sortable and short enough for a table. */
export function shortTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

/** A list cell: comma-joined, '-' when empty (never a blank cell, which would shift columns for `awk`). */
export function cell(values: readonly string[] | string | undefined): string {
  if (values === undefined) return '-';
  if (typeof values === 'string') return values === '' ? '-' : values;
  return values.length === 0 ? '-' : values.join(',');
}
