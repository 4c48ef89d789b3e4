// Serving: turns generated resources into encoded Any + a content version (hash of the bytes), cached per object.
import { createHash } from 'node:crypto';
import { encodeResource, type Any, type Json } from '../../xds/codec.js';
import { ownedBytes } from '../../common/owned-bytes.js';
import type { FramedResponse } from './framed-response.js';
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

// Content-addressed second level: proxies of different shapes (or consecutive snapshots) get equal resources as
// distinct objects; JSON.stringify is several times cheaper than encoding, so equal content is encoded once.
// Two generations: entries not used since the previous rotation are dropped. Keyed by a hash of the JSON, not the
// JSON itself: a load assignment's JSON is ~10 kB, and 100,000 such keys were most of a replica's heap under churn.
const CONTENT_GENERATION = 50_000;
let contentNow = new Map<string, { any: Any; version: string }>();
let contentPrev = new Map<string, { any: Any; version: string }>();

function encodeByContent(typeUrl: string, resource: object): { any: Any; version: string } {
  const key = `${typeUrl}\n${createHash('sha256').update(JSON.stringify(resource)).digest('base64')}`;
  let c = contentNow.get(key);
  if (c === undefined) {
    c = contentPrev.get(key);
    if (c === undefined) {
      const encoded = encodeResource(typeUrl, resource as Json);
      // cached across snapshots: bytes of their own, so that a few kept resources do not pin pool slabs
      const any: Any = { type_url: typeUrl, value: ownedBytes(encoded.value) };
      c = { any, version: hash16(createHash('sha256').update(typeUrl).update(any.value)) };
    }
    if (contentNow.size >= CONTENT_GENERATION) {
      contentPrev = contentNow;
      contentNow = new Map();
    }
    contentNow.set(key, c);
  }
  return c;
}

export function buildResource(typeUrl: string, r: GeneratedResource): BuiltResource {
  let c = cache.get(r.resource);
  if (c === undefined || c.typeUrl !== typeUrl) {
    const e = encodeByContent(typeUrl, r.resource);
    c = { typeUrl, any: e.any, version: e.version };
    cache.set(r.resource, c);
  }
  return { name: r.name, any: c.any, version: c.version };
}

const setVersions = new WeakMap<readonly BuiltResource[], string>();

/** Version of a whole set (SotW version_info, Delta system_version_info): order-independent over name + version. */
export function setVersion(resources: readonly BuiltResource[]): string {
  const cached = setVersions.get(resources);
  if (cached !== undefined) return cached;
  const sorted = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const h = createHash('sha256');
  for (const r of sorted) h.update(r.name).update('\0').update(r.version).update('\n');
  const v = hash16(h);
  setVersions.set(resources, v);
  return v;
}

export interface SharedEncoding {
  key: string;
  nonce: string;
  /** The response as a framed gRPC message: written as it is to every stream that gets it. */
  framed: FramedResponse;
}

/**
 * One encoded response per `owner` (its resources) and `key` (type, version, identifier), written to every stream
 * that gets it: nonces need only be unique per stream, so the nonce is minted once per encoding. A stream that
 * would see the same nonce twice in a row (a forced resend) gets a freshly encoded response instead.
 */
export function sharedEncoding<K extends object>(
  cache: WeakMap<K, SharedEncoding>,
  owner: K,
  key: string,
  lastNonce: string | undefined,
  encode: (nonce: string) => FramedResponse,
): SharedEncoding {
  const hit = cache.get(owner);
  if (hit !== undefined && hit.key === key && hit.nonce !== lastNonce) return hit;
  const nonce = nextNonce();
  const e = { key, nonce, framed: encode(nonce) };
  if (hit === undefined || hit.key !== key) cache.set(owner, e);
  return e;
}

let nonceSeq = 0;
const noncePrefix = createHash('sha256').update(`${process.pid}:${Date.now()}`).digest('hex').slice(0, 6);

/** Unique per response in this process (nonces need not be deterministic, versions must). */
export function nextNonce(): string {
  return `${noncePrefix}-${(++nonceSeq).toString(36)}`;
}
