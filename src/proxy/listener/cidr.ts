// Listener: IP address parsing and CIDR containment for filter_chain_match prefix ranges.
import { isIPv4, isIPv6 } from 'node:net';
import type { CidrRange } from '../config/types.js';

/** Address bytes: 4 for IPv4 (IPv4-mapped IPv6 folds to IPv4, as Envoy does for dual-stack sockets), 16 for IPv6. */
export function ipBytes(ip: string): Uint8Array | null {
  const addr = ip.replace(/%.*$/, '');
  if (isIPv4(addr)) return Uint8Array.from(addr.split('.').map(Number));
  if (!isIPv6(addr)) return null;
  // Rewrite an embedded IPv4 tail (::ffff:1.2.3.4) as two hex groups so one parser handles both.
  const text = addr.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parse(head);
  const r = rest === undefined ? [] : parse(rest);
  const groups = rest === undefined ? h : [...h, ...new Array<number>(Math.max(8 - h.length - r.length, 0)).fill(0), ...r];
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  const mapped = out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? out.slice(12) : out;
}

export interface CompiledCidr {
  bytes: Uint8Array;
  prefixLen: number;
}

export function compileCidr(c: CidrRange): CompiledCidr | null {
  const bytes = ipBytes(c.address_prefix);
  if (!bytes) return null;
  return { bytes, prefixLen: Math.min(c.prefix_len, bytes.length * 8) };
}

export function cidrContains(c: CompiledCidr, ip: Uint8Array): boolean {
  if (c.bytes.length !== ip.length) return false;
  let bits = c.prefixLen;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((c.bytes[i]! & mask) !== (ip[i]! & mask)) return false;
  }
  return true;
}

export function isLoopback(ip: Uint8Array): boolean {
  if (ip.length === 4) return ip[0] === 127;
  return ip.subarray(0, 15).every((b) => b === 0) && ip[15] === 1;
}
