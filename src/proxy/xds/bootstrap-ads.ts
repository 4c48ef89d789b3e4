// xDS client: builds the xDS client a bootstrap asks for — ADS and per-type gRPC streams (each through its static cluster's
// endpoints) and LDS/CDS files; gRPC code is loaded only when a stream is configured.
import net from 'node:net';
import type { Bootstrap, XdsConfigSource } from '../config/types.js';
import type { XdsNode } from '../../xds/ads-service.js';
// Types only: the client is loaded when a bootstrap has dynamic resources, and the gRPC transport (HTTP/2 streams and the
// wire descriptor's request codecs) only when one of them is a stream, so a static or file-fed proxy does not pay for them.
import type { AdsClient, AdsClientOptions, XdsSource } from './ads-client.js';

/** host:port of every endpoint of a static cluster (Envoy connects through the cluster; we dial its endpoints). */
export function clusterTargets(b: Bootstrap, name: string | undefined): string[] {
  const c = name === undefined ? undefined : b.static_resources.clusters.find((x) => x.name === name);
  if (c === undefined) return [];
  return (c.load_assignment?.endpoints ?? []).flatMap((l) =>
    l.lb_endpoints.map((e) => {
      const a = e.endpoint.address.socket_address;
      return `${net.isIPv6(a.address) ? `[${a.address}]` : a.address}:${a.port_value}`;
    }),
  );
}

/** host:port of the ADS cluster's endpoints. */
export function controlPlaneTargets(b: Bootstrap): string[] {
  return clusterTargets(b, b.dynamic_resources?.ads_config?.cluster_name);
}

export function xdsNode(b: Bootstrap, version: string): XdsNode {
  const n = b.node;
  const out: XdsNode = { id: n.id, cluster: n.cluster, metadata: n.metadata, user_agent_name: 'trellis', user_agent_version: version };
  if (n.locality !== undefined) out.locality = { region: n.locality.region, zone: n.locality.zone, sub_zone: n.locality.sub_zone };
  return out;
}

function sourceOf(b: Bootstrap, src: XdsConfigSource | undefined, what: string): XdsSource {
  if (src === undefined) return { kind: 'none' };
  if ('ads' in src) return { kind: 'ads' };
  if ('path' in src) return { kind: 'file', path: src.path, ...(src.watched_directory !== undefined ? { watchedDirectory: src.watched_directory } : {}) };
  const api = src.api_config_source;
  const targets = clusterTargets(b, api.cluster_name);
  if (targets.length === 0) throw new Error(`${what} cluster ${api.cluster_name} has no endpoints (load_assignment) to reach its management server`);
  return { kind: 'grpc', api: api.api_type === 'DELTA_GRPC' ? 'delta' : 'sotw', targets };
}

/** undefined when the bootstrap has no dynamic resources (a static proxy). */
export async function adsClientFor(
  b: Bootstrap,
  version: string,
  rest: Omit<AdsClientOptions, 'node' | 'targets' | 'api' | 'sources' | 'grpc'>,
): Promise<AdsClient | undefined> {
  const dyn = b.dynamic_resources;
  const ads = dyn?.ads_config;
  if (ads === undefined && dyn?.lds_config === undefined && dyn?.cds_config === undefined) return undefined;
  const sources = { listeners: sourceOf(b, dyn?.lds_config, 'lds_config'), clusters: sourceOf(b, dyn?.cds_config, 'cds_config') };
  const targets = controlPlaneTargets(b);
  if (ads !== undefined && targets.length === 0) throw new Error(`ads_config cluster ${ads.cluster_name} has no endpoints (load_assignment) to reach the control plane`);
  const streams = ads !== undefined || sources.listeners.kind === 'grpc' || sources.clusters.kind === 'grpc';
  const grpc = streams ? (await import('./grpc-transport.js')).grpcTransport : undefined;
  const { AdsClient: Client } = await import('./ads-client.js');
  return new Client({
    ...rest,
    node: xdsNode(b, version),
    ...(ads !== undefined ? { targets, api: ads.api_type === 'DELTA_GRPC' ? ('delta' as const) : ('sotw' as const) } : {}),
    sources,
    ...(grpc !== undefined ? { grpc } : {}),
  });
}
