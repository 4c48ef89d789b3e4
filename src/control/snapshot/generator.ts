// Ingestion stage: the ADS server's XdsGenerator — runs the translate generators on the current snapshot and remembers what each stream was given.
import { proxyNodeFromNode, type NodeInfo } from '../model/proxy-node.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { generatorFor } from '../translate/index.js';
import type { XdsResource } from '../translate/generator.js';
import type { ConnectedProxy, GeneratedResource, XdsGenerator } from '../xds/types.js';

/** Parsed once per stream: node metadata does not change on a stream. */
const nodes = new WeakMap<ConnectedProxy, ProxyNode>();
const selectorKeys = new WeakMap<Snapshot, readonly string[]>();

function collectSourceLabelKeys(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collectSourceLabelKeys(x, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'sourceLabels' && typeof x === 'object' && x !== null) for (const key of Object.keys(x)) out.add(key);
      else collectSourceLabelKeys(x, out);
    }
  }
}

/**
 * The label keys any selector in the snapshot reads from a proxy (Sidecar and DestinationRule workloadSelector,
 * VirtualService sourceLabels, Gateway, PeerAuthentication, AuthorizationPolicy, RequestAuthentication and Telemetry selector): the
 * only labels translation output can depend on.
 */
function labelKeysRead(snap: Snapshot): readonly string[] {
  let keys = selectorKeys.get(snap);
  if (keys === undefined) {
    const out = new Set<string>();
    for (const sc of snap.sidecars) for (const k of Object.keys(sc.spec.workloadSelector?.labels ?? {})) out.add(k);
    for (const dr of snap.destinationRules) for (const k of Object.keys(dr.spec.workloadSelector?.labels ?? {})) out.add(k);
    for (const gw of snap.gateways) for (const k of Object.keys(gw.spec.selector ?? {})) out.add(k);
    for (const pa of snap.peerAuthentications) for (const k of Object.keys(pa.spec.selector?.matchLabels ?? {})) out.add(k);
    for (const vs of snap.virtualServices) collectSourceLabelKeys(vs.spec, out);
    for (const p of [...snap.authorizationPolicies, ...snap.requestAuthentications, ...snap.telemetries]) for (const k of Object.keys(p.spec.selector?.matchLabels ?? {})) out.add(k);
    keys = [...out].sort();
    selectorKeys.set(snap, keys);
  }
  return keys;
}

/**
 * What translation output depends on: everything in ProxyNode but its id and IP (no generator reads those), and of
 * its labels only those some selector of the snapshot reads, so the many proxies of one namespace and workload
 * shape share one answer per snapshot (500 sidecars of 10 namespaces: 10 builds, not 500).
 */
function shapeOf(n: ProxyNode, snap: Snapshot): string {
  // the metrics port and workload name are for scraping and the graph, read by no generator (a free --prometheus-port
  // per sidecar would otherwise give every sidecar its own shape)
  const { id: _id, ip: _ip, labels, prometheusPort: _prom, workloadName: _wl, ...rest } = n;
  const picked: Record<string, string> = {};
  for (const k of labelKeysRead(snap)) if (labels[k] !== undefined) picked[k] = labels[k];
  return JSON.stringify([rest, picked]);
}

export function proxyNodeOf(p: ConnectedProxy): ProxyNode {
  let n = nodes.get(p);
  if (n === undefined) {
    const info: NodeInfo = { id: p.id, metadata: p.metadata, xdsApi: p.mode };
    if (p.node.locality !== undefined) info.locality = p.node.locality;
    if (p.node.user_agent_name !== undefined) info.user_agent_name = p.node.user_agent_name;
    if (p.node.cluster !== undefined) info.cluster = p.node.cluster;
    n = proxyNodeFromNode(info);
    // the ADS server refused the stream unless its node claims the identity it proved
    if (p.identity !== undefined) n = { ...n, verified: true };
    nodes.set(p, n);
  }
  return n;
}

/**
 * Translation for the ADS server. Answers are cached per snapshot, proxy shape and subscription, so the server gets
 * the same objects back and encodes each resource once per snapshot.
 */
export class SnapshotGenerator implements XdsGenerator {
  /** Per snapshot: shape + type → subscription key → answer (two levels: a 1,000-name key is hashed once, not per stream). */
  private cache = new WeakMap<Snapshot, Map<string, Map<string, XdsResource[]>>>();
  /** Shape keys per snapshot (which labels matter depends on the snapshot's selectors). */
  private readonly shapes = new WeakMap<Snapshot, WeakMap<ProxyNode, string>>();

  constructor(private readonly snapshot: () => Snapshot) {}

  generate(proxy: ConnectedProxy, typeUrl: string, names: readonly string[], namesKey?: string): XdsResource[] {
    const gen = generatorFor(typeUrl);
    if (gen === undefined) return [];
    const snap = this.snapshot();
    const node = proxyNodeOf(proxy);
    let perSnap = this.cache.get(snap);
    if (perSnap === undefined) this.cache.set(snap, (perSnap = new Map()));
    let shapes = this.shapes.get(snap);
    if (shapes === undefined) this.shapes.set(snap, (shapes = new WeakMap()));
    let shape = shapes.get(node);
    if (shape === undefined) shapes.set(node, (shape = shapeOf(node, snap)));
    const shapeKey = `${shape}\n${typeUrl}`;
    let bySubscription = perSnap.get(shapeKey);
    if (bySubscription === undefined) perSnap.set(shapeKey, (bySubscription = new Map()));
    const key = namesKey ?? JSON.stringify(names);
    let out = bySubscription.get(key);
    if (out === undefined) {
      out = gen.build(node, snap, names);
      bySubscription.set(key, out);
    }
    return out;
  }
}
