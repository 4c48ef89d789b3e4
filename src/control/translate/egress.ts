// Translate stage: a sidecar's Sidecar egress listeners with a port — bound for real on bind:port (captureMode NONE: no iptables) as TCP, TLS (SNI) or HTTP.
import type { IstioEgressListener } from '../../api/types.js';
import type { ProxyNode, ServiceInfo, ServicePortInfo, Snapshot } from '../model/types.js';
import type { Json, XdsResource } from './generator.js';
import { httpEgressListener } from './egress-http.js';
import { tcpEgressListener, tlsEgressListener } from './egress-l4.js';
import { egressListenerName } from './names.js';
import { protocolClass } from './protocol-class.js';
import { egressListenerServices, sidecarFor } from './scope.js';

/** Istio: with captureMode NONE an egress listener without `bind` binds loopback (only the app may use it). */
export const DEFAULT_EGRESS_BIND = '127.0.0.1';

export interface EgressTarget {
  service: ServiceInfo;
  port: ServicePortInfo;
}

/** One port-bound egress listener as the builders see it. */
export interface EgressListenerSpec {
  name: string;
  bind: string;
  /** The listener port (what the app connects to and what `match.port` is compared with). */
  port: number;
  targets: EgressTarget[];
}

/** The ports the sidecar itself binds: an egress listener on one of them could never bind (reported by analyze). */
export function ownPorts(proxy: ProxyNode): Map<number, string> {
  const out = new Map<number, string>();
  if (proxy.adminPort !== undefined) out.set(proxy.adminPort, 'admin');
  if (proxy.appPort !== undefined) out.set(proxy.appPort, 'app');
  if (proxy.servicePort !== undefined && proxy.appPort !== undefined) out.set(proxy.inboundPort, 'inbound');
  out.set(proxy.outboundPort, 'outbound');
  return out;
}

/**
 * The services the listener's hosts import, each at the service port of the listener's number, else at its only
 * port (Istio: a listener port that is not a service port means the service's single port). Snapshot order.
 */
export function egressTargets(e: IstioEgressListener, port: number, proxy: ProxyNode, snap: Snapshot): EgressTarget[] {
  const out: EgressTarget[] = [];
  for (const service of egressListenerServices(e.hosts, proxy, snap)) {
    const p = service.ports.find((sp) => sp.port === port) ?? (service.ports.length === 1 ? service.ports[0] : undefined);
    if (p !== undefined) out.push({ service, port: p });
  }
  return out;
}

/** The egress listeners with a port of the Sidecar that applies to this proxy, in the Sidecar's order. */
export function egressListeners(proxy: ProxyNode, snap: Snapshot): XdsResource[] {
  if (proxy.type !== 'sidecar') return [];
  const taken = ownPorts(proxy);
  const out: XdsResource[] = [];
  for (const e of sidecarFor(proxy, snap)?.spec.egress ?? []) {
    if (e.port === undefined || taken.has(e.port.number)) continue;
    const bind = e.bind ?? DEFAULT_EGRESS_BIND;
    // unix:// binds are refused at apply; a second listener on a port is rejected by validation
    if (bind.startsWith('unix://')) continue;
    taken.set(e.port.number, 'egress');
    const spec: EgressListenerSpec = { name: egressListenerName(bind, e.port.number), bind, port: e.port.number, targets: egressTargets(e, e.port.number, proxy, snap) };
    let l: Json | undefined;
    switch (protocolClass(e.port.protocol)) {
      case 'tcp':
        l = tcpEgressListener(spec, proxy, snap);
        break;
      case 'tls':
        l = tlsEgressListener(spec, proxy, snap);
        break;
      case 'http':
        l = httpEgressListener(spec, proxy, snap);
        break;
      case undefined:
        break;
    }
    if (l !== undefined) out.push({ name: spec.name, resource: l });
  }
  return out;
}
