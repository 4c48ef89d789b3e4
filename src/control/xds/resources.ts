// Serving: turns generated resources into encoded Any + a content version (hash of the bytes), cached per object.
import { createHash } from 'node:crypto';
import { encodeResource, type Any, type Json } from '../../xds/codec.js';
import type { GeneratedResource } from './types.js';

export interface BuiltResource {
  name: string;
  any: Any;
  /** Hash of type URL + encoded bytes: equal content, equal version, in every process. */
  version: string;
}

// A generator that hands back the same object for an unchanged resource (per snapshot) skips re-encoding:
// with hundreds of proxies sharing clusters and endpoints that is most of the push cost.
const cache = new WeakMap<object, { typeUrl: string; any: Any; version: string }>();

function hash16(h: ReturnType<typeof createHash>): string {
  return h.digest('hex').slice(0, 16);
}

export function buildResource(typeUrl: string, r: GeneratedResource): BuiltResource {
  let c = cache.get(r.resource);
  if (c === undefined || c.typeUrl !== typeUrl) {
    const any = encodeResource(typeUrl, r.resource as Json);
    const version = hash16(createHash('sha256').update(typeUrl).update(any.value));
    c = { typeUrl, any, version };
    cache.set(r.resource, c);
  }
  return { name: r.name, any: c.any, version: c.version };
}

/** Version of a whole set (SotW version_info, Delta system_version_info): order-independent over name + version. */
export function setVersion(resources: readonly BuiltResource[]): string {
  const sorted = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const h = createHash('sha256');
  for (const r of sorted) h.update(r.name).update('\0').update(r.version).update('\n');
  return hash16(h);
}

let nonceSeq = 0;
const noncePrefix = createHash('sha256').update(`${process.pid}:${Date.now()}`).digest('hex').slice(0, 6);

/** Unique per response in this process (nonces need not be deterministic, versions must). */
export function nextNonce(): string {
  return `${noncePrefix}-${(++nonceSeq).toString(36)}`;
}
