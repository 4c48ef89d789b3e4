// HTTP API: what a read may show of a secret — Secret data/stringData values replaced (keys kept), Envoy-shaped inline private keys replaced, unless the admin asked to see them.
import { REDACTED_VALUE } from '../../api/validate-secret.js';
import { scrubKeys } from '../../common/scrub-keys.js';

/** A value that changed between the two sides of a diff: says so without showing either side. */
export const REDACTED_CHANGED = `${REDACTED_VALUE} (changed)`;
/** Envoy's marker for a private key in config_dump. */
export const ENVOY_REDACTED = '[redacted]';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function maskValues(m: unknown, mask: (key: string, value: unknown) => unknown): unknown {
  if (!isObj(m)) return m;
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, mask(k, v)]));
}

function isSecret(v: Obj): boolean {
  return v.kind === 'Secret' && (v.data !== undefined || v.stringData !== undefined);
}

/** A Secret with every value replaced (already redacted markers kept as they are); any other value unchanged. */
export function redactResource<T>(r: T): T {
  if (!isObj(r) || !isSecret(r)) return r;
  const mask = (_k: string, v: unknown): unknown => (typeof v === 'string' && v.startsWith(REDACTED_VALUE) ? v : REDACTED_VALUE);
  const out: Obj = { ...r };
  if (r.data !== undefined) out.data = maskValues(r.data, mask);
  if (r.stringData !== undefined) out.stringData = maskValues(r.stringData, mask);
  return out as T;
}

/** Both sides of a diff entry redacted; a key whose value changed shows REDACTED_CHANGED on the newer side, so the diff still says what changed. */
export function redactDiffEntry<T extends { before?: unknown; after?: unknown }>(e: T): T {
  const before = e.before;
  const after = e.after;
  if (!isObj(before) || !isObj(after) || !isSecret(after)) {
    return { ...e, ...(before !== undefined ? { before: redactResource(before) } : {}), ...(after !== undefined ? { after: redactResource(after) } : {}) };
  }
  const old = isObj(before.data) ? before.data : {};
  const masked = redactResource(after) as Obj;
  masked.data = maskValues(after.data, (k, v) => (old[k] !== undefined && old[k] !== v ? REDACTED_CHANGED : REDACTED_VALUE));
  return { ...e, before: redactResource(before), after: masked };
}

/** A private_key DataSource (Envoy's TlsCertificate) with its inline material replaced, as Envoy's config_dump prints it. */
function redactPrivateKey(v: unknown): unknown {
  if (!isObj(v)) return typeof v === 'string' ? ENVOY_REDACTED : v;
  if (v.inline_string === undefined && v.inline_bytes === undefined) return v; // a file path names no material
  const out: Obj = { ...v };
  for (const f of ['inline_string', 'inline_bytes']) if (out[f] !== undefined) out[f] = ENVOY_REDACTED;
  return out;
}

/**
 * Every Secret resource, every Envoy private_key and every PEM private key in a string anywhere in a JSON reply, redacted. The server runs it over
 * every reply a handler did not mark as revealing secrets, so a read path that forgets to redact still cannot leak.
 * Returns the same object when there was nothing to redact (no copy of large config dumps).
 */
export function redactDeep(v: unknown): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    v.forEach((x, i) => {
      const y = redactDeep(x);
      if (y !== x) (out ??= [...v])[i] = y;
    });
    return out ?? v;
  }
  if (typeof v === 'string') return scrubKeys(v); // e.g. a proxy's NACK quoting the secret it refused
  if (!isObj(v)) return v;
  if (isSecret(v)) return redactResource(v);
  let out: Obj | undefined;
  for (const [k, x] of Object.entries(v)) {
    const y = k === 'private_key' ? redactPrivateKey(x) : redactDeep(x);
    if (y !== x) (out ??= { ...v })[k] = y;
  }
  return out ?? v;
}
