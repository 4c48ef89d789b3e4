// Dashboard (browser): a line diff (longest common subsequence) of two short texts, for the config page's revision diff.
/** [op, line] with op '+', '-' or ' '; unchanged runs longer than 2×context are cut to their ends. */
export function lineDiff(a, b, context = 3) {
  const n = a.length;
  const m = b.length;
  // resources are small (a few hundred lines): the O(n·m) table is fine
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push([' ', a[i]]);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(['-', a[i++]]);
    else out.push(['+', b[j++]]);
  }
  return trimContext(out, context);
}

function trimContext(lines, context) {
  // distance of every line to the nearest change, in two passes (linear, whatever `context` is)
  const far = lines.length + 1;
  const dist = lines.map((l) => (l[0] !== ' ' ? 0 : far));
  for (let k = 1; k < dist.length; k++) dist[k] = Math.min(dist[k], dist[k - 1] + 1);
  for (let k = dist.length - 2; k >= 0; k--) dist[k] = Math.min(dist[k], dist[k + 1] + 1);
  const near = dist.map((d) => d <= context);
  const out = [];
  let skipped = 0;
  lines.forEach((l, k) => {
    if (near[k]) {
      if (skipped > 0) out.push([' ', `… ${skipped} unchanged lines`]);
      skipped = 0;
      out.push(l);
    } else skipped++;
  });
  if (skipped > 0) out.push([' ', `… ${skipped} unchanged lines`]);
  return out;
}
