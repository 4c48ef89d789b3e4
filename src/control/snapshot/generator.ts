// Ingestion stage: the ADS server's XdsGenerator — runs the translate generators on the current snapshot and remembers what each stream was given.
import { proxyNodeFromNode, type NodeInfo } from '../model/proxy-node.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { generatorFor } from '../translate/index.js';
import type { XdsResource } from '../translate/generator.js';
import type { ConnectedProxy, GeneratedResource, XdsGenerator } from '../xds/types.js';

/** Parsed once per stream: node metadata does not change on a stream. */
const nodes = new WeakMap<ConnectedProxy, ProxyNode>();
const shapes = new WeakMap<ProxyNode, string>();

/**
 * What translation output depends on: everything in ProxyNode but its id and IP (no generator reads those), so
 * the many proxies of one workload shape share one answer per snapshot.
 */
function shapeOf(n: ProxyNode): string {
  let s = shapes.get(n);
  if (s === undefined) {
    const { id: _id, ip: _ip, ...rest } = n;
    s = JSON.stringify(rest);
    shapes.set(n, s);
  }
  return s;
}

export function proxyNodeOf(p: ConnectedProxy): ProxyNode {
  let n = nodes.get(p);
  if (n === undefined) {
    const info: NodeInfo = { id: p.id, metadata: p.metadata };
    if (p.node.locality !== undefined) info.locality = p.node.locality;
    if (p.node.user_agent_name !== undefined) info.user_agent_name = p.node.user_agent_name;
    if (p.node.cluster !== undefined) info.cluster = p.node.cluster;
    n = proxyNodeFromNode(info);
    nodes.set(p, n);
  }
  return n;
}

/**
 * Translation for the ADS server. The last answer per stream and type is kept (what the HTTP API shows as the
 * proxy's config "as sent"); streams are forgotten on disconnect. Answers are cached per snapshot, proxy shape and
 * subscription, so the server gets the same objects back and encodes each resource once per snapshot.
 */
export class SnapshotGenerator implements XdsGenerator {
  private readonly sent = new Map<string, Map<string, readonly XdsResource[]>>();
  private cache = new WeakMap<Snapshot, Map<string, XdsResource[]>>();

  constructor(private readonly snapshot: () => Snapshot) {}

  generate(proxy: ConnectedProxy, typeUrl: string, names: readonly string[]): GeneratedResource[] {
    const gen = generatorFor(typeUrl);
    if (gen === undefined) return [];
    const snap = this.snapshot();
    const node = proxyNodeOf(proxy);
    let perSnap = this.cache.get(snap);
    if (perSnap === undefined) this.cache.set(snap, (perSnap = new Map()));
    const key = `${shapeOf(node)}\n${typeUrl}\n${names.join(',')}`;
    let out = perSnap.get(key);
    if (out === undefined) {
      out = gen.build(node, snap, names);
      perSnap.set(key, out);
    }
    let byType = this.sent.get(proxy.connId);
    if (byType === undefined) this.sent.set(proxy.connId, (byType = new Map()));
    byType.set(typeUrl, out);
    return out;
  }

  /** What the stream was last given for `typeUrl` (undefined if never asked). */
  lastSent(connId: string, typeUrl: string): readonly XdsResource[] | undefined {
    return this.sent.get(connId)?.get(typeUrl);
  }

  forget(connId: string): void {
    this.sent.delete(connId);
  }
}
