// Control plane / config store: canonical JSON, so "unchanged" puts (same content, other key order) create no revision.

/** JSON with object keys sorted at every level; arrays keep their order (it is meaningful, e.g. http routes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(src).sort()) out[k] = src[k];
    return out;
  });
}
