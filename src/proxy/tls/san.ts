// TLS: parses Node's subjectaltname string and matches it against match_typed_subject_alt_names.
import { isIPv6 } from 'node:net';
import type { StringMatcher, SubjectAltNameMatcher } from '../config/types.js';
import { compileStringMatcher } from './string-matcher.js';

export type SanType = SubjectAltNameMatcher['san_type'];
export interface SubjectAltName {
  type: SanType | 'OTHER';
  value: string;
}

/** The labels Node prints (X509V3_EXT_print style) mapped to Envoy's san_type names. */
const NODE_LABELS: Record<string, SanType> = { DNS: 'DNS', URI: 'URI', email: 'EMAIL', 'IP Address': 'IP_ADDRESS' };

/**
 * Parses `DNS:a, URI:spiffe://x, IP Address:10.0.0.1, email:a@b`. Since Node 17 values holding
 * ',', '"' or other specials are printed as JSON strings (`URI:"a\u002cb"`), so a naive split(', ')
 * would let a crafted SAN smuggle in a second entry; we honour the quoting.
 */
export function parseSubjectAltNames(text: string | undefined): SubjectAltName[] {
  const out: SubjectAltName[] = [];
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const label = text.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      value = JSON.parse(text.slice(j, k + 1)) as string;
      j = k + 1;
    } else {
      const end = text.indexOf(', ', j);
      j = end < 0 ? text.length : end;
      value = text.slice(colon + 1, j);
    }
    const type = NODE_LABELS[label] ?? 'OTHER';
    out.push({ type, value: type === 'IP_ADDRESS' ? normalizeIp(value) : value });
    i = text.startsWith(', ', j) ? j + 2 : j + 1;
  }
  return out;
}

/** Node prints IPv6 SANs uncompressed (0:0:0:0:0:0:0:1); Envoy compares the compressed form (::1). */
function normalizeIp(v: string): string {
  if (!isIPv6(v) || v.includes('::')) return v;
  const groups = v.split(':').map((g) => parseInt(g, 16).toString(16));
  let bestStart = -1;
  let bestLen = 1; // RFC 5952: only runs of 2+ zero groups are compressed
  for (let s = 0; s < groups.length; ) {
    if (groups[s] !== '0') {
      s++;
      continue;
    }
    let e = s;
    while (e < groups.length && groups[e] === '0') e++;
    if (e - s > bestLen) {
      bestStart = s;
      bestLen = e - s;
    }
    s = e;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

interface CompiledSanMatcher {
  type: SanType;
  test: (san: string) => boolean;
}

const compiledCache = new WeakMap<readonly SubjectAltNameMatcher[], CompiledSanMatcher[]>();

function compile(matchers: readonly SubjectAltNameMatcher[]): CompiledSanMatcher[] {
  let c = compiledCache.get(matchers);
  if (!c) {
    c = matchers.map((m) => ({ type: m.san_type, test: sanPredicate(m.san_type, m.matcher) }));
    compiledCache.set(matchers, c);
  }
  return c;
}

/** DNS exact matchers also accept a wildcard SAN in the cert (`*.example.com` covers one label), as Envoy's dnsNameMatch. */
function sanPredicate(type: SanType, m: StringMatcher): (san: string) => boolean {
  const base = compileStringMatcher(m);
  if (type !== 'DNS' || m.kind !== 'exact') return base;
  const want = m.value.toLowerCase();
  return (san) => {
    if (base(san)) return true;
    if (!san.startsWith('*.')) return false;
    const dot = want.indexOf('.');
    return dot > 0 && want.slice(dot) === san.slice(1).toLowerCase();
  };
}

/** Peer certificate shape we need: Node's PeerCertificate (`subjectaltname`) or X509Certificate (`subjectAltName`). */
export interface CertWithSans {
  subjectaltname?: string;
  subjectAltName?: string;
}

/** Null when any matcher matches any SAN of its type (Envoy: OR across matchers), else the reason. */
export function verifyPeerSans(cert: CertWithSans | undefined, matchers: readonly SubjectAltNameMatcher[]): string | null {
  if (matchers.length === 0) return null;
  if (!cert) return 'peer presented no certificate';
  const sans = parseSubjectAltNames(cert.subjectaltname ?? cert.subjectAltName);
  for (const m of compile(matchers)) {
    for (const san of sans) if (san.type === m.type && m.test(san.value)) return null;
  }
  const shown = sans.map((s) => `${s.type}:${s.value}`).join(', ') || 'none';
  return `peer certificate SANs (${shown}) match none of match_typed_subject_alt_names`;
}

/** URI SANs (e.g. the SPIFFE id) of a certificate, for DownstreamConnectionInfo.tls.peerUriSans. */
export function uriSans(cert: CertWithSans | undefined): string[] {
  return sansOfType(cert, 'URI');
}

/** DNS SANs of a certificate, for DownstreamConnectionInfo.tls.peerDnsSans (RBAC's authenticated principal). */
export function dnsSans(cert: CertWithSans | undefined): string[] {
  return sansOfType(cert, 'DNS');
}

function sansOfType(cert: CertWithSans | undefined, type: SanType): string[] {
  return parseSubjectAltNames(cert?.subjectaltname ?? cert?.subjectAltName)
    .filter((s) => s.type === type)
    .map((s) => s.value);
}
