// Telemetry: a bounded reader of the Prometheus text format (0.0.4) for scraped proxy metrics — only the series whose
// name starts with a wanted prefix; malformed lines are skipped, never thrown on (the text comes from the network).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParseLimits {
  /** Series kept; the rest of the text is ignored and `truncated` set. */
  maxSeries: number;
  /** Labels per series; a longer line is skipped. */
  maxLabels: number;
  /** Characters per line; a longer line is skipped. */
  maxLineLength: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxSeries: 50_000, maxLabels: 40, maxLineLength: 16_384 };

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;

/** One `name{a="b",…} value [timestamp]` line, or undefined when it is not one. Linear in the line's length. */
export function parseSampleLine(line: string, maxLabels: number): Sample | undefined {
  let i = 0;
  const n = line.length;
  if (n === 0 || !NAME_START.test(line[0]!)) return undefined;
  while (i < n && NAME_CHAR.test(line[i]!)) i++;
  const name = line.slice(0, i);
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const start = i;
      if (i >= n || !NAME_START.test(line[i]!)) return undefined;
      while (i < n && NAME_CHAR.test(line[i]!)) i++;
      const key = line.slice(start, i);
      if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
      i += 2;
      let value = '';
      let closed = false;
      while (i < n) {
        const c = line[i]!;
        if (c === '\\') {
          const e = line[i + 1];
          value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e ?? ''}`;
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return undefined;
      if (++count > maxLabels) return undefined;
      labels[key] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return undefined;
    }
  }
  if (line[i] !== ' ' && line[i] !== '\t') return undefined;
  const rest = line.slice(i).trim().split(/[ \t]+/);
  const v = rest[0] ?? '';
  const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
  if (v === '' || Number.isNaN(value)) return undefined;
  return { name, labels, value };
}

/** Every sample of `text` whose name starts with `prefix`, within the limits. */
export function parsePrometheusText(text: string, prefix: string, limits: ParseLimits = DEFAULT_LIMITS): { samples: Sample[]; truncated: boolean } {
  const samples: Sample[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const len = end - pos;
    if (len > 0 && len <= limits.maxLineLength && text.startsWith(prefix, pos)) {
      const s = parseSampleLine(text.slice(pos, end).replace(/\r$/, ''), limits.maxLabels);
      if (s !== undefined) {
        if (samples.length >= limits.maxSeries) return { samples, truncated: true };
        samples.push(s);
      }
    }
    pos = end + 1;
  }
  return { samples, truncated: false };
}
