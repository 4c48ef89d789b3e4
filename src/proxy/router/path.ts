// Router match stage: path helpers (query split, ASCII case-insensitive comparisons) that allocate nothing.

/** Splits a request path into the path proper and the query string (without the '?'). */
export function splitPath(path: string): { path: string; query: string } {
  const q = path.indexOf('?');
  return q < 0 ? { path, query: '' } : { path: path.slice(0, q), query: path.slice(q + 1) };
}

/** Index where the path ends (the '?' or the string's length). */
export function pathEnd(raw: string): number {
  const q = raw.indexOf('?');
  return q < 0 ? raw.length : q;
}

// ASCII-only folding, as Envoy's absl::StartsWithIgnoreCase / EqualsIgnoreCase.
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Whether raw[0..end) starts with `prefix`; `prefix` must already be lower-case when ignoreCase. */
export function startsWithRange(raw: string, end: number, prefix: string, ignoreCase: boolean): boolean {
  const n = prefix.length;
  if (n > end) return false;
  if (!ignoreCase) return raw.startsWith(prefix);
  for (let i = 0; i < n; i++) if (fold(raw.charCodeAt(i)) !== prefix.charCodeAt(i)) return false;
  return true;
}

/** Whether raw[0..end) equals `value`; `value` must already be lower-case when ignoreCase. */
export function equalsRange(raw: string, end: number, value: string, ignoreCase: boolean): boolean {
  return end === value.length && startsWithRange(raw, end, value, ignoreCase);
}

/** Whether `s` ends with `suffix` (lower-case when ignoreCase). */
export function endsWithFold(s: string, suffix: string, ignoreCase: boolean): boolean {
  const n = suffix.length;
  const off = s.length - n;
  if (off < 0) return false;
  if (!ignoreCase) return s.endsWith(suffix);
  for (let i = 0; i < n; i++) if (fold(s.charCodeAt(off + i)) !== suffix.charCodeAt(i)) return false;
  return true;
}

/** ASCII lower-casing (Envoy folds ASCII only). */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.toLowerCase();
  }
  return s;
}
