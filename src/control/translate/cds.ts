// Translate stage: CDS — outbound clusters (EDS, or DNS with inline endpoints) with DestinationRule policy, and the sidecar's inbound cluster.
import { isWildcard } from '../../api/hosts.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { type ClusterSpec, clusterInstances, outboundClusterSpecs } from './cluster-specs.js';
import { applyClusterPolicy, isH2Protocol, isHttpProtocol } from './cluster-policy.js';
import { applyClusterTls, tlsModeMetadata } from './cluster-tls.js';
import { endpointTlsMode } from './peer-authn.js';
import { istioConfigMetadata, socketAddress } from './envoy.js';
import { CLUSTER_TYPE, type Generator, type Json, type XdsResource, anyChanged, filterNames } from './generator.js';
import { inboundService } from './inbound.js';
import { inboundClusterName } from './names.js';
import { memoInSnapshot, specKey } from './memo.js';
import { effectivePolicy } from './policy.js';

function dnsLoadAssignment(spec: ClusterSpec, snap: Snapshot, single: boolean): Json | undefined {
  const eps = clusterInstances(spec, snap).filter((i) => i.healthy);
  // a DNS ServiceEntry without endpoints resolves its own host name on the service port
  const targets: { address: string; port: number; tlsMode?: 'istio' | undefined }[] =
    eps.length > 0
      ? eps.map((i) => ({ address: i.address, port: i.port, tlsMode: endpointTlsMode(i, snap) }))
      : isWildcard(spec.service.hostname)
        ? []
        : [{ address: spec.service.hostname, port: spec.port.port }];
  if (targets.length === 0) return undefined;
  const used = single ? targets.slice(0, 1) : targets;
  return {
    cluster_name: spec.name,
    endpoints: [
      {
        lb_endpoints: used.map((t) => {
          const ep: Json = { endpoint: { address: socketAddress(t.address, t.port) } };
          const md = tlsModeMetadata(t.tlsMode);
          if (md !== undefined) ep.metadata = md;
          return ep;
        }),
      },
    ],
  };
}

/** One outbound cluster; undefined when it cannot exist (a wildcard host with nothing to resolve). */
export function outboundCluster(spec: ClusterSpec, proxy: ProxyNode, snap: Snapshot): Json | undefined {
  const proxyless = proxy.type === 'proxyless';
  const c: Json = { '@type': CLUSTER_TYPE, name: spec.name };
  switch (spec.service.resolution) {
    case 'STATIC':
      c.type = 'EDS';
      c.eds_cluster_config = { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: spec.name };
      break;
    // NONE means "pass through to the original destination", which needs iptables; resolve the host instead
    case 'DNS':
    case 'NONE':
    case 'DNS_ROUND_ROBIN': {
      // grpc-js-xds has no STRICT_DNS: it gets LOGICAL_DNS with one address
      const logical = spec.service.resolution === 'DNS_ROUND_ROBIN' || proxyless;
      const la = dnsLoadAssignment(spec, snap, logical);
      if (la === undefined) return undefined;
      c.type = logical ? 'LOGICAL_DNS' : 'STRICT_DNS';
      c.load_assignment = la;
      break;
    }
  }
  const policy = effectivePolicy(spec.rule, spec.subset, spec.port.port);
  applyClusterPolicy(c, policy, spec.port.protocol, proxyless);
  applyClusterTls(c, spec, policy.tls, { snap, proxyless, http: isHttpProtocol(spec.port.protocol) });
  if (c.type !== 'EDS') c.dns_lookup_family = 'V4_ONLY';
  if (spec.rule !== undefined) c.metadata = istioConfigMetadata('destination-rule', spec.rule);
  return c;
}

/** `inbound|<servicePort>||` → 127.0.0.1:appPort, for a sidecar that declares a service port and app port. */
export function inboundCluster(proxy: ProxyNode, snap: Snapshot): XdsResource | undefined {
  if (proxy.type !== 'sidecar' || proxy.servicePort === undefined || proxy.appPort === undefined) return undefined;
  const name = inboundClusterName(proxy.servicePort);
  const port = inboundService(proxy, snap)?.port;
  const c: Json = {
    '@type': CLUSTER_TYPE,
    name,
    type: 'STATIC',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', proxy.appPort) } }] }] },
    connect_timeout: '10s',
    lb_policy: 'ROUND_ROBIN',
  };
  if (port !== undefined && isH2Protocol(port.protocol)) {
    c.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    };
  }
  return { name, resource: c };
}

export const cdsGenerator: Generator = {
  typeUrl: CLUSTER_TYPE,
  // PeerAuthentication (a namespace that disables mTLS) and the identities behind a service shape the TLS sockets
  needsPush: (changed) => anyChanged(changed, ['Service', 'ServiceEntry', 'DestinationRule', 'Sidecar', 'PeerAuthentication', 'identities']),
  build(proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[] {
    const out: XdsResource[] = [];
    const proxyless = proxy.type === 'proxyless';
    for (const spec of outboundClusterSpecs(proxy, snap)) {
      // outboundCluster reads only the spec, the snapshot and whether the proxy is proxyless
      const c = memoInSnapshot(snap, `cds\n${specKey(spec)}\n${proxyless}`, () => outboundCluster(spec, proxy, snap));
      if (c !== undefined) out.push({ name: spec.name, resource: c });
    }
    const inbound = inboundCluster(proxy, snap);
    if (inbound !== undefined) out.push(inbound);
    return filterNames(out, names);
  },
};
