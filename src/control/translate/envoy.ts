// Translate stage: small proto-JSON encoders shared by the generators (durations, percents, addresses, header options).
import { parseDuration } from '../../api/duration.js';
import type { Json } from './generator.js';

/** Milliseconds → google.protobuf.Duration JSON: '10s', '1.500s' (ms precision, as Istio requires). */
export function durationJson(ms: number): string {
  const whole = Math.round(ms);
  const s = Math.floor(whole / 1000);
  const rest = whole % 1000;
  return rest === 0 ? `${s}s` : `${s}.${String(rest).padStart(3, '0')}s`;
}

/** An Istio duration string ('1.5s', '100ms') → Duration JSON; undefined when absent or malformed. */
export function istioDuration(d: string | undefined): string | undefined {
  if (d === undefined) return undefined;
  const ms = parseDuration(d);
  return ms === undefined ? undefined : durationJson(ms);
}

/** Istio Percent (0–100, fractional) → type.v3.FractionalPercent over a MILLION, as Istio translates it. */
export function fractionalPercent(percent: number): Json {
  const n = Math.max(0, Math.min(1_000_000, Math.round(percent * 10_000)));
  return { numerator: n, denominator: 'MILLION' };
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

/** `set` overwrites, `add` appends (Istio's Headers semantics). Keys sorted so output is stable. */
export function headerOptions(values: Readonly<Record<string, string>> | undefined, action: 'OVERWRITE_IF_EXISTS_OR_ADD' | 'APPEND_IF_EXISTS_OR_ADD'): Json[] {
  if (values === undefined) return [];
  return Object.keys(values)
    .sort()
    .map((k) => ({ header: { key: k.toLowerCase(), value: values[k] ?? '' }, append_action: action }));
}

/**
 * Istio's record of which resource produced a route or cluster (`metadata.filter_metadata.istio.config`): what
 * istioctl's and trellis' proxy-config print in their VIRTUAL SERVICE and DESTINATION RULE columns.
 */
export function istioConfigMetadata(kind: 'virtual-service' | 'destination-rule', r: { metadata: { name: string; namespace: string } }): Json {
  return { filter_metadata: { istio: { config: `/apis/networking.istio.io/v1/namespaces/${r.metadata.namespace}/${kind}/${r.metadata.name}` } } };
}
