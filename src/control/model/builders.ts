// Model stage: small builders for ServiceInfo, InstanceInfo and ProxyNode with Istio's defaults (tests, simulations, benchmarks).
import { CLUSTER_DOMAIN } from '../../api/types.js';
import { DEFAULT_INBOUND_PORT, DEFAULT_OUTBOUND_PORT, parseLocality } from './proxy-node.js';
import type { InstanceInfo, PortProtocol, ProxyNode, ServiceInfo, ServicePortInfo } from './types.js';

/** Istio's protocol selection from a port name prefix (`http-web` → HTTP, `grpc` → GRPC); unknown → TCP. */
export function protocolFromPortName(name: string | undefined, appProtocol?: string): PortProtocol {
  const p = (appProtocol ?? name ?? '').toLowerCase().split('-')[0] ?? '';
  switch (p) {
    case 'http':
      return 'HTTP';
    case 'http2':
    case 'kubernetes.io/h2c':
      return 'HTTP2';
    case 'grpc':
    case 'grpc_web':
      return 'GRPC';
    case 'https':
      return 'HTTPS';
    case 'tls':
      return 'TLS';
    case 'mongo':
      return 'MONGO';
    case 'udp':
      return 'UDP';
    default:
      return 'TCP';
  }
}

/** A core Service `name.namespace.svc.cluster.local`; ports as `{port, name?, protocol?}` (protocol from the name when absent). */
export function serviceInfo(
  name: string,
  namespace: string,
  ports: readonly { port: number; name?: string; protocol?: PortProtocol }[],
  extra: Partial<ServiceInfo> = {},
): ServiceInfo {
  const ps: ServicePortInfo[] = ports.map((p) => ({
    name: p.name ?? `http-${p.port}`,
    port: p.port,
    protocol: p.protocol ?? protocolFromPortName(p.name ?? 'http'),
  }));
  return {
    hostname: `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`,
    namespace,
    name,
    ports: ps,
    resolution: 'STATIC',
    origin: 'Service',
    meshExternal: false,
    ...extra,
  };
}

/** An endpoint of `service` (hostname) on service port `servicePort`; `locality` as 'region/zone/subzone'. */
export function instanceInfo(
  service: string,
  servicePort: number,
  address: string,
  port: number,
  extra: Partial<Omit<InstanceInfo, 'locality'>> & { locality?: string } = {},
): InstanceInfo {
  const { locality, ...rest } = extra;
  const out: InstanceInfo = { service, servicePort, address, port, labels: {}, weight: 1, healthy: true, ...rest };
  const loc = parseLocality(locality);
  if (loc !== undefined) out.locality = loc;
  return out;
}

/** A ProxyNode with defaults: a sidecar in 'default' with the standard ports. */
export function proxyNode(extra: Partial<ProxyNode> = {}): ProxyNode {
  return {
    id: extra.id ?? 'sidecar~10.0.0.1~app.default~default.svc.cluster.local',
    type: 'sidecar',
    namespace: 'default',
    labels: {},
    ip: '10.0.0.1',
    serviceAccount: 'default',
    outboundPort: DEFAULT_OUTBOUND_PORT,
    inboundPort: DEFAULT_INBOUND_PORT,
    workloadName: 'app',
    ...extra,
  };
}
