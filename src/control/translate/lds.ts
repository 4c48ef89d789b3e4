// Translate stage: LDS — sidecar outbound/inbound and port-bound egress listeners, gateway listeners per server port, proxyless api_listeners per target.
import type { ProxyNode, Snapshot } from '../model/types.js';
import { egressListeners } from './egress.js';
import { type Generator, LISTENER_TYPE, type XdsResource, anyChanged, filterNames } from './generator.js';
import { gatewayListeners } from './gateway.js';
import { proxylessListener, targets } from './proxyless.js';
import { inboundListener, outboundListener } from './sidecar.js';
import { withAccessLogs } from './access-log.js';

function logged(r: XdsResource, proxy: ProxyNode, snap: Snapshot): XdsResource {
  return { ...r, resource: withAccessLogs(r.resource, proxy, snap) };
}

export const ldsGenerator: Generator = {
  typeUrl: LISTENER_TYPE,
  // tcp_proxy routes, SNI chains and egress HTTP routes live in listeners, so VirtualService and DestinationRule edits reach LDS
  needsPush: (changed) => anyChanged(changed, ['Service', 'ServiceEntry', 'Gateway', 'Sidecar', 'VirtualService', 'DestinationRule', 'PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication', 'Telemetry']),
  build(proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[] {
    switch (proxy.type) {
      case 'proxyless':
        return targets(proxy, snap, names).map(proxylessListener);
      case 'router':
        return filterNames(gatewayListeners(proxy, snap), names).map((r) => logged(r, proxy, snap));
      case 'sidecar': {
        const out = [outboundListener(proxy, snap)];
        const inbound = inboundListener(proxy, snap);
        if (inbound !== undefined) out.push(inbound);
        out.push(...egressListeners(proxy, snap));
        return filterNames(out, names).map((r) => logged(r, proxy, snap));
      }
    }
  },
};
