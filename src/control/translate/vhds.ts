// Translate stage: VHDS — a Delta sidecar's `outbound` virtual hosts as resources of their own, subscribed by route config name.
import type { ProxyNode, Snapshot } from '../model/types.js';
import { type Generator, VIRTUAL_HOST_TYPE, type XdsResource } from './generator.js';
import { rdsGenerator } from './rds.js';
import { outboundVhdsResources } from './sidecar.js';
import { OUTBOUND_ROUTE } from './names.js';

export const vhdsGenerator: Generator = {
  typeUrl: VIRTUAL_HOST_TYPE,
  // virtual hosts are what RDS carried inline: the same changes move them
  needsPush: (changed) => rdsGenerator.needsPush(changed),
  /** `names` are route configuration names (Envoy subscribes VHDS by its route config's name, as a namespace). */
  build(proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[] {
    if (proxy.type !== 'sidecar') return [];
    if (names !== undefined && names.length > 0 && !names.includes(OUTBOUND_ROUTE)) return [];
    return outboundVhdsResources(proxy, snap);
  },
};
