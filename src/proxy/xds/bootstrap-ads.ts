// xDS client: builds the ADS client a bootstrap asks for (dynamic_resources.ads_config → its static cluster → control plane address).
import net from 'node:net';
import type { Bootstrap } from '../config/types.js';
import type { XdsNode } from '../../xds/ads-service.js';
// Types only: the client (grpc-js, protobufjs, the Envoy protos: ~25 MB, ~0.5 s) is loaded when a bootstrap asks for it,
// so a static proxy does not pay for it.
import type { AdsClient, AdsClientOptions } from './ads-client.js';

/** host:port of every endpoint of the ADS cluster (Envoy connects through that cluster; we dial its endpoints). */
export function controlPlaneTargets(b: Bootstrap): string[] {
  const name = b.dynamic_resources?.ads_config?.cluster_name;
  const c = name === undefined ? undefined : b.static_resources.clusters.find((x) => x.name === name);
  if (c === undefined) return [];
  return (c.load_assignment?.endpoints ?? []).flatMap((l) =>
    l.lb_endpoints.map((e) => {
      const a = e.endpoint.address.socket_address;
      return `${net.isIPv6(a.address) ? `[${a.address}]` : a.address}:${a.port_value}`;
    }),
  );
}

export function xdsNode(b: Bootstrap, version: string): XdsNode {
  const n = b.node;
  const out: XdsNode = { id: n.id, cluster: n.cluster, metadata: n.metadata, user_agent_name: 'trellis', user_agent_version: version };
  if (n.locality !== undefined) out.locality = { region: n.locality.region, zone: n.locality.zone, sub_zone: n.locality.sub_zone };
  return out;
}

/** undefined when the bootstrap has no ads_config (a static proxy). */
export async function adsClientFor(
  b: Bootstrap,
  version: string,
  rest: Omit<AdsClientOptions, 'node' | 'targets' | 'api'>,
): Promise<AdsClient | undefined> {
  const ads = b.dynamic_resources?.ads_config;
  if (ads === undefined) return undefined;
  const targets = controlPlaneTargets(b);
  if (targets.length === 0) throw new Error(`ads_config cluster ${ads.cluster_name} has no endpoints (load_assignment) to reach the control plane`);
  const { AdsClient: Client } = await import('./ads-client.js');
  return new Client({ ...rest, node: xdsNode(b, version), targets, api: ads.api_type === 'DELTA_GRPC' ? 'delta' : 'sotw' });
}
