// Translate stage: RDS — the sidecar's `outbound` config, a gateway's `http.<port>` configs, a proxyless client's per-target configs.
import type { ProxyNode, Snapshot } from '../model/types.js';
import { type Generator, ROUTE_TYPE, type XdsResource, anyChanged, filterNames } from './generator.js';
import { gatewayRouteConfigs } from './gateway.js';
import { proxylessRouteConfig, targets } from './proxyless.js';
import { outboundRouteConfig } from './sidecar.js';

export const rdsGenerator: Generator = {
  typeUrl: ROUTE_TYPE,
  needsPush: (changed) => anyChanged(changed, ['Service', 'ServiceEntry', 'VirtualService', 'DestinationRule', 'Gateway', 'Sidecar']),
  build(proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[] {
    switch (proxy.type) {
      case 'proxyless':
        return targets(proxy, snap, names).map((t) => proxylessRouteConfig(t, proxy, snap));
      case 'router':
        return filterNames(gatewayRouteConfigs(proxy, snap), names);
      case 'sidecar':
        return filterNames([outboundRouteConfig(proxy, snap)], names);
    }
  },
};
