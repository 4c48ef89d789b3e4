// CLI: resource kinds as users type them (kubectl's singular, plural and short names) and as kubectl prints them (`virtualservice.networking.istio.io/reviews`).
import { UsageError } from './client.js';
import { apiGroupOf, KINDS, parseResourceKey, type Kind } from '../api/types.js';

const SHORT: Readonly<Record<Kind, readonly string[]>> = {
  Service: ['svc'],
  VirtualService: ['vs'],
  DestinationRule: ['dr'],
  Gateway: ['gw'],
  ServiceEntry: ['se'],
  WorkloadEntry: ['we'],
  Sidecar: [],
  PeerAuthentication: ['pa'],
  Secret: [],
  AuthorizationPolicy: ['ap'],
  RequestAuthentication: ['ra'],
  Telemetry: ['telemetries'],
  ServiceAccount: ['sa'],
  Namespace: ['ns'],
  Deployment: ['deploy'],
  StatefulSet: ['sts'],
  Pod: ['po'],
};

function plural(kind: Kind): string {
  const k = kind.toLowerCase();
  // entry → entries, but gateway → gateways
  return /[^aeiou]y$/.test(k) ? `${k.slice(0, -1)}ies` : `${k}s`;
}

export function groupOf(kind: Kind): string {
  return apiGroupOf(kind).group;
}

const ALIASES: ReadonlyMap<string, Kind> = new Map(
  KINDS.flatMap((kind) => {
    const names = [kind.toLowerCase(), plural(kind), ...SHORT[kind]];
    const group = groupOf(kind);
    // kubectl also takes the fully qualified `virtualservices.networking.istio.io`
    const qualified = group === '' ? [] : [kind.toLowerCase(), plural(kind)].map((n) => `${n}.${group}`);
    return [...names, ...qualified].map((n): [string, Kind] => [n, kind]);
  }),
);

/** Every name `get` and `delete` take for a kind (singular, plural, short, qualified), for shell completion. */
export function kindNames(): string[] {
  return [...ALIASES.keys()];
}

/** `vs`, `VirtualServices`, `virtualservice.networking.istio.io` … → 'VirtualService'. */
export function resolveKind(input: string): Kind {
  const kind = ALIASES.get(input.toLowerCase());
  if (kind === undefined) {
    const known = KINDS.map((k) => [k.toLowerCase(), ...SHORT[k]].join('/')).join(', ');
    throw new UsageError(`unknown resource type "${input}"; known: ${known}`);
  }
  return kind;
}

/** kubectl's type prefix: `virtualservice.networking.istio.io`, or `service` for the core group. */
export function typeName(kind: Kind): string {
  const group = groupOf(kind);
  return group === '' ? kind.toLowerCase() : `${kind.toLowerCase()}.${group}`;
}

/** A store key `VirtualService/default/reviews` as kubectl names the object: `virtualservice.networking.istio.io/reviews`. */
export function displayKey(key: string): string {
  const k = parseResourceKey(key);
  return k === undefined ? key : `${typeName(k.kind)}/${k.name}`;
}
