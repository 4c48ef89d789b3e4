// Router compile stage: hash_policy compiled for RING_HASH/MAGLEV: header, cookie, source IP, query parameter, combined as Envoy does.
import type { HashPolicy } from '../config/types.js';
import type { HeaderMap, RouteRequest } from './types.js';
import { xxhash64 } from '../../common/hash.js';
import { headerSource, SRC_HEADER, requestValue } from './header-value.js';
import { findQueryParam } from './query-matcher.js';
import { pathEnd } from './path.js';

const M64 = 0xffffffffffffffffn;

const H_HEADER = 0;
const H_COOKIE = 1;
const H_SOURCE_IP = 2;
const H_QUERY = 3;
const H_NONE = 4; // filter_state: no filter state here, so it never yields a value

interface Method {
  readonly kind: number;
  readonly name: string;
  readonly source: number;
  readonly terminal: boolean;
}

/** A cookie's value from all `cookie` headers (Envoy's Utility::parseCookieValue: trims, strips quotes). */
export function cookieValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers['cookie'];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return cookieIn(v, name);
  for (const s of v) {
    const r = cookieIn(s, name);
    if (r !== undefined) return r;
  }
  return undefined;
}

function cookieIn(header: string, name: string): string | undefined {
  let i = 0;
  const n = header.length;
  while (i < n) {
    let semi = header.indexOf(';', i);
    if (semi < 0) semi = n;
    while (i < semi && (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 9)) i++;
    const eq = header.indexOf('=', i);
    if (eq >= 0 && eq < semi && eq - i === name.length && header.startsWith(name, i)) {
      let v = header.slice(eq + 1, semi).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      return v;
    }
    i = semi + 1;
  }
  return undefined;
}

function headerHash(req: RouteRequest, m: Method): bigint | undefined {
  if (m.source !== SRC_HEADER) {
    const v = requestValue(req, m.source, m.name);
    return v === undefined ? undefined : xxhash64(v);
  }
  const v = req.headers[m.name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return xxhash64(v);
  if (v.length === 0) return undefined;
  if (v.length === 1) return xxhash64(v[0]!);
  // Envoy sorts multiple values so their order does not change the hash, then hashes them back to back.
  return xxhash64([...v].sort().join(''));
}

export class CompiledHashPolicy {
  private readonly methods: readonly Method[];

  constructor(policies: readonly HashPolicy[]) {
    this.methods = policies.map((p): Method => {
      const pol = p.policy;
      switch (pol.kind) {
        case 'header': {
          const name = pol.header_name.toLowerCase();
          return { kind: H_HEADER, name, source: headerSource(name), terminal: p.terminal };
        }
        case 'cookie':
          return { kind: H_COOKIE, name: pol.name, source: SRC_HEADER, terminal: p.terminal };
        case 'connection_properties':
          return { kind: pol.source_ip ? H_SOURCE_IP : H_NONE, name: '', source: SRC_HEADER, terminal: p.terminal };
        case 'query_parameter':
          return { kind: H_QUERY, name: pol.name, source: SRC_HEADER, terminal: p.terminal };
        default:
          return { kind: H_NONE, name: '', source: SRC_HEADER, terminal: p.terminal };
      }
    });
  }

  get empty(): boolean {
    return this.methods.length === 0;
  }

  /** Envoy's HashPolicyImpl::generateHash: rotate-left-1 the running hash and XOR each new one; stop at a terminal policy that produced a hash. */
  hash(req: RouteRequest, sourceIp: string): bigint | undefined {
    let h: bigint | undefined;
    for (let i = 0; i < this.methods.length; i++) {
      const m = this.methods[i]!;
      let v: bigint | undefined;
      switch (m.kind) {
        case H_HEADER:
          v = headerHash(req, m);
          break;
        case H_COOKIE: {
          const c = cookieValue(req.headers, m.name);
          if (c !== undefined) v = xxhash64(c);
          break;
        }
        case H_SOURCE_IP:
          if (sourceIp !== '') v = xxhash64(sourceIp);
          break;
        case H_QUERY: {
          // Envoy hashes the raw (undecoded) first value.
          const end = pathEnd(req.path);
          if (end < req.path.length) {
            const q = findQueryParam(req.path, end + 1, m.name, false);
            if (q !== undefined) v = xxhash64(q);
          }
          break;
        }
        default:
          break;
      }
      if (v !== undefined) {
        const old = h === undefined ? 0n : ((h << 1n) | (h >> 63n)) & M64;
        h = old ^ v;
      }
      if (m.terminal && h !== undefined) break;
    }
    return h;
  }
}
