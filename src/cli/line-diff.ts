// CLI: a unified diff of two texts (`@@ -a,b +c,d @@` hunks with 3 lines of context), as `diff -u` and `kubectl diff` print it.

type Edit = { op: ' ' | '-' | '+'; line: string };

/** Longest-common-subsequence edit script; resources are small, so the O(n·m) table is fine and keeps the code obvious. */
function edits(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const below = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) row[j] = a[i] === b[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
  }
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++] as string });
      j++;
    } else if (j < m && (i === n || (lcs[i]?.[j + 1] ?? 0) >= (lcs[i + 1]?.[j] ?? 0))) {
      out.push({ op: '+', line: b[j++] as string });
    } else {
      out.push({ op: '-', line: a[i++] as string });
    }
  }
  // diff -u lists removals before additions within a change; the walk above may interleave them
  return regroup(out);
}

function regroup(list: Edit[]): Edit[] {
  const out: Edit[] = [];
  let minus: Edit[] = [];
  let plus: Edit[] = [];
  const flush = (): void => {
    out.push(...minus, ...plus);
    minus = [];
    plus = [];
  };
  for (const e of list) {
    if (e.op === '-') minus.push(e);
    else if (e.op === '+') plus.push(e);
    else {
      flush();
      out.push(e);
    }
  }
  flush();
  return out;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Hunks only (no `---`/`+++` header); '' when the texts are equal. */
export function unifiedHunks(before: string, after: string, context = 3): string {
  const list = edits(splitLines(before), splitLines(after));
  const changed = list.map((e, k) => (e.op !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  // group changes whose context windows touch into one hunk
  const groups: [number, number][] = [];
  for (const k of changed) {
    const last = groups[groups.length - 1];
    if (last !== undefined && k - last[1] <= 2 * context) last[1] = k;
    else groups.push([k, k]);
  }
  // line numbers in a and b before each edit
  const posA: number[] = [];
  const posB: number[] = [];
  let la = 0;
  let lb = 0;
  for (const e of list) {
    posA.push(la);
    posB.push(lb);
    if (e.op !== '+') la++;
    if (e.op !== '-') lb++;
  }
  let out = '';
  for (const [first, last] of groups) {
    const start = Math.max(0, first - context);
    const end = Math.min(list.length - 1, last + context);
    const slice = list.slice(start, end + 1);
    const countA = slice.filter((e) => e.op !== '+').length;
    const countB = slice.filter((e) => e.op !== '-').length;
    // diff -u: a range of length 0 is numbered from the line before it
    const fromA = countA === 0 ? (posA[start] ?? 0) : (posA[start] ?? 0) + 1;
    const fromB = countB === 0 ? (posB[start] ?? 0) : (posB[start] ?? 0) + 1;
    out += `@@ -${fromA},${countA} +${fromB},${countB} @@\n`;
    for (const e of slice) out += `${e.op}${e.line}\n`;
  }
  return out;
}
