// HTTP filters: ext_authz — OkHttpResponse query_parameters_to_set / _to_remove applied to the request path.

/**
 * Sets (replacing every value of the key, or appending the key) and removes query parameters of `path`,
 * keeping the others in their order and form. Keys compare as sent (already URL-encoded), as in Envoy.
 */
export function editQuery(path: string, set: readonly (readonly [string, string])[], remove: readonly string[]): string {
  if (set.length === 0 && remove.length === 0) return path;
  const q = path.indexOf('?');
  const base = q < 0 ? path : path.slice(0, q);
  const params: [string, string | undefined][] = [];
  if (q >= 0) {
    for (const part of path.slice(q + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      params.push(eq < 0 ? [part, undefined] : [part.slice(0, eq), part.slice(eq + 1)]);
    }
  }
  let out = params;
  for (const [k, v] of set) {
    const i = out.findIndex((p) => p[0] === k);
    if (i < 0) out.push([k, v]);
    else out = out.filter((p, j) => j === i || p[0] !== k).map((p, j) => (j === i ? [k, v] : p));
  }
  if (remove.length > 0) out = out.filter((p) => !remove.includes(p[0]));
  if (out.length === 0) return base;
  return `${base}?${out.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&')}`;
}
