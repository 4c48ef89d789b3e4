// Translate stage: VirtualService delegation — a root's http[].delegate entry replaced by the delegate VirtualService's routes, merged as Istio does.
import type { Destination, HTTPMatchRequest, HTTPRoute, VirtualService } from '../../api/types.js';
import type { Snapshot } from '../model/types.js';
import { mergeMatches } from './delegate-match.js';
import { gatewayRef, resolveHost } from './lookup.js';
import { exportedTo } from './scope.js';

/** The delegate a root entry names (namespace defaults to the root's), if it exists, has no hosts and is exported to the root's namespace. */
export function delegateFor(http: HTTPRoute, root: VirtualService, snap: Snapshot): VirtualService | undefined {
  if (http.delegate === undefined) return undefined;
  const ns = http.delegate.namespace ?? root.metadata.namespace;
  const d = snap.index.delegateVirtualServices.get(`${ns}/${http.delegate.name}`);
  if (d === undefined || !exportedTo(d.spec.exportTo, d.metadata.namespace, root.metadata.namespace)) return undefined;
  return d;
}

/**
 * Names written in one VirtualService mean that VirtualService's namespace (Istio resolves short names before merging),
 * so destination hosts and match gateways are made absolute before routes of two namespaces are combined.
 */
function dest(d: Destination, ns: string, snap: Snapshot): Destination {
  return { ...d, host: resolveHost(d.host, ns, snap) };
}

function absoluteMatches(ms: readonly HTTPMatchRequest[] | undefined, ns: string): HTTPMatchRequest[] | undefined {
  return ms?.map((m) => (m.gateways === undefined ? m : { ...m, gateways: m.gateways.map((g) => gatewayRef(g, ns)) }));
}

function absoluteRoute(h: HTTPRoute, ns: string, snap: Snapshot): HTTPRoute {
  const out: HTTPRoute = { ...h };
  const match = absoluteMatches(h.match, ns);
  if (match !== undefined) out.match = match;
  if (h.route !== undefined) out.route = h.route.map((r) => ({ ...r, destination: dest(r.destination, ns, snap) }));
  if (h.mirror !== undefined) out.mirror = dest(h.mirror, ns, snap);
  if (h.mirrors !== undefined) out.mirrors = h.mirrors.map((m) => ({ ...m, destination: dest(m.destination, ns, snap) }));
  return out;
}

/** Fields a delegate route takes from the root entry when it does not set them itself (Istio's mergeHTTPRoute). */
const INHERITED = ['rewrite', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercent', 'mirrorPercentage', 'mirrors', 'corsPolicy', 'headers'] as const;

function inherit<K extends (typeof INHERITED)[number]>(out: HTTPRoute, root: HTTPRoute, k: K): void {
  if (out[k] === undefined && root[k] !== undefined) out[k] = root[k];
}

/** One delegate route under the root entry, or undefined when its matches conflict with the root's. */
function mergeRoute(root: HTTPRoute, leaf: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatches(root.match, leaf.match);
  if (match === undefined) return undefined;
  const out: HTTPRoute = { ...leaf, match };
  if (root.name !== undefined && root.name !== '') out.name = leaf.name !== undefined && leaf.name !== '' ? `${root.name}-${leaf.name}` : root.name;
  for (const k of INHERITED) inherit(out, root, k);
  return out;
}

/**
 * The root's http routes with each delegating entry replaced by its delegate's routes (in the delegate's order);
 * an entry whose delegate is missing or not exported is dropped, the rest kept. Only one level: a delegate's own
 * `delegate` entries are rejected at apply, and would produce no route here.
 */
export function effectiveHttpRoutes(vs: VirtualService, snap: Snapshot): readonly HTTPRoute[] {
  const http = vs.spec.http ?? [];
  if (!http.some((h) => h.delegate !== undefined)) return http;
  const out: HTTPRoute[] = [];
  for (const h of http) {
    if (h.delegate === undefined) {
      out.push(h);
      continue;
    }
    const d = delegateFor(h, vs, snap);
    if (d === undefined) continue;
    const root = absoluteRoute(h, vs.metadata.namespace, snap);
    delete root.delegate;
    for (const leaf of d.spec.http ?? []) {
      const merged = mergeRoute(root, absoluteRoute(leaf, d.metadata.namespace, snap));
      if (merged !== undefined) out.push(merged);
    }
  }
  return out;
}
