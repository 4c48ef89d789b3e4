// Listener: picks a connection's filter chain with Envoy's filter_chain_match rules (compiled once per update).
import type { FilterChainMatch } from '../config/types.js';
import { cidrContains, compileCidr, isLoopback, type CompiledCidr } from './cidr.js';

/** What the socket and listener filters learned about a connection. */
export interface ConnectionProps {
  destinationPort: number;
  destinationIp: Uint8Array | null;
  serverName?: string; // lower case
  transportProtocol: string; // 'raw_buffer' unless tls_inspector said 'tls'
  applicationProtocols: readonly string[]; // ALPN offered, or 'http/1.1' / 'h2c' from http_inspector
  directSourceIp: Uint8Array | null;
  sourceIp: Uint8Array | null;
  sourcePort: number;
}

export interface CompiledChainMatch {
  destinationPort?: number;
  prefixRanges: CompiledCidr[];
  serverNames: string[];
  transportProtocol?: string;
  applicationProtocols: string[];
  directSourceRanges: CompiledCidr[];
  sourceType: FilterChainMatch['source_type'];
  sourceRanges: CompiledCidr[];
  sourcePorts: number[];
}

const cidrs = (list: FilterChainMatch['prefix_ranges']): CompiledCidr[] =>
  list.map(compileCidr).filter((c): c is CompiledCidr => c !== null);

export function compileChainMatch(m: FilterChainMatch | undefined): CompiledChainMatch {
  return {
    destinationPort: m?.destination_port,
    prefixRanges: cidrs(m?.prefix_ranges ?? []),
    serverNames: (m?.server_names ?? []).map((s) => s.toLowerCase()),
    transportProtocol: m?.transport_protocol || undefined,
    applicationProtocols: m?.application_protocols ?? [],
    directSourceRanges: cidrs(m?.direct_source_prefix_ranges ?? []),
    sourceType: m?.source_type ?? 'ANY',
    sourceRanges: cidrs(m?.source_prefix_ranges ?? []),
    sourcePorts: m?.source_ports ?? [],
  };
}

/**
 * A step scores a chain: -1 = does not match, 0 = criterion not set (matches anything),
 * higher = more specific. Envoy prunes step by step to the best score, without backtracking:
 * a chain that wins on destination port but then fails on SNI is not replaced by a port-less one.
 */
type Step = (m: CompiledChainMatch, c: ConnectionProps) => number;

function prefixScore(ranges: CompiledCidr[], ip: Uint8Array | null): number {
  if (ranges.length === 0) return 0;
  let best = -1;
  if (ip) for (const r of ranges) if (r.prefixLen + 1 > best && cidrContains(r, ip)) best = r.prefixLen + 1;
  return best;
}

const EXACT_NAME = 1 << 20;

function serverNameScore(names: string[], sni: string | undefined): number {
  if (names.length === 0) return 0;
  if (!sni) return -1;
  let best = -1;
  for (const n of names) {
    if (n === sni) return EXACT_NAME;
    // `*.example.com` covers any name ending in `.example.com`; a longer suffix is more specific.
    if (n.startsWith('*.') && sni.endsWith(n.slice(1)) && sni.length > n.length - 1) best = Math.max(best, n.length);
  }
  return best;
}

const STEPS: readonly Step[] = [
  (m, c) => (m.destinationPort === undefined ? 0 : m.destinationPort === c.destinationPort ? 1 : -1),
  (m, c) => prefixScore(m.prefixRanges, c.destinationIp),
  (m, c) => serverNameScore(m.serverNames, c.serverName),
  (m, c) => (m.transportProtocol === undefined ? 0 : m.transportProtocol === c.transportProtocol ? 1 : -1),
  // Envoy walks the connection's protocols in order; an earlier one wins.
  (m, c) => {
    if (m.applicationProtocols.length === 0) return 0;
    const i = c.applicationProtocols.findIndex((p) => m.applicationProtocols.includes(p));
    return i < 0 ? -1 : c.applicationProtocols.length - i;
  },
  (m, c) => prefixScore(m.directSourceRanges, c.directSourceIp),
  (m, c) => {
    if (m.sourceType === 'ANY') return 0;
    const local = c.sourceIp !== null && (isLoopback(c.sourceIp) || sameIp(c.sourceIp, c.destinationIp));
    return (m.sourceType === 'SAME_IP_OR_LOOPBACK') === local ? 1 : -1;
  },
  (m, c) => prefixScore(m.sourceRanges, c.sourceIp),
  (m, c) => (m.sourcePorts.length === 0 ? 0 : m.sourcePorts.includes(c.sourcePort) ? 1 : -1),
];

function sameIp(a: Uint8Array, b: Uint8Array | null): boolean {
  return b !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Returns the selected chain, or undefined (the caller falls back to default_filter_chain). */
export function selectFilterChain<T extends { match: CompiledChainMatch }>(chains: readonly T[], conn: ConnectionProps): T | undefined {
  let left: readonly T[] = chains;
  for (const step of STEPS) {
    let best = -1;
    let kept: T[] = [];
    for (const ch of left) {
      const s = step(ch.match, conn);
      if (s > best) {
        best = s;
        kept = [ch];
      } else if (s === best && s >= 0) kept.push(ch);
    }
    if (best < 0) return undefined;
    left = kept;
  }
  return left[0]; // validation keeps matches unique; config order breaks ties otherwise
}
