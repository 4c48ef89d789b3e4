// xDS client: DeltaAggregatedResources (incremental) — requests carry subscription differences, responses per-resource versions and removals.
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../../xds/ads-service.js';
import { adsMethods } from './ads-methods.js';
import { INVALID_ARGUMENT, type AdsCodec, type WatchRequest, type XdsUpdate } from './ads-protocol.js';
import type { ResourceEntry } from './resources.js';

export const deltaCodec: AdsCodec<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = {
  api: 'delta',
  method: adsMethods().delta,

  /**
   * The first request of a type on a stream subscribes to the whole interest (nothing = legacy wildcard) and lists
   * what is held, so the server need not resend it; later ones only carry changes. Only an ACK or NACK carries the
   * response nonce: a subscription change is not an answer to a response.
   */
  request(r: WatchRequest): DeltaDiscoveryRequest | undefined {
    const w = r.watch;
    const req: DeltaDiscoveryRequest = { type_url: w.typeUrl };
    if (!w.subscribed) {
      if (!w.wildcard && w.names.length > 0) req.resource_names_subscribe = [...w.names];
      const held = r.held();
      if (Object.keys(held).length > 0) req.initial_resource_versions = held;
    } else {
      const now = new Set(w.names);
      const subscribe = w.names.filter((n) => !w.sent.has(n));
      const unsubscribe = [...w.sent].filter((n) => !now.has(n)).sort();
      if (subscribe.length > 0) req.resource_names_subscribe = subscribe;
      if (unsubscribe.length > 0) req.resource_names_unsubscribe = unsubscribe;
      if (!r.ack && r.errorDetail === undefined && subscribe.length === 0 && unsubscribe.length === 0) return undefined;
    }
    if ((r.ack || r.errorDetail !== undefined) && w.nonce !== '') req.response_nonce = w.nonce;
    if (r.errorDetail !== undefined) req.error_detail = { code: INVALID_ARGUMENT, message: r.errorDetail };
    return req;
  },

  update(res: DeltaDiscoveryResponse): XdsUpdate {
    const resources: ResourceEntry[] = [];
    const removed = [...(res.removed_resources ?? [])];
    for (const r of res.resources ?? []) {
      // a resource without a body says the name has nothing (on-demand xDS); treat it as not existing
      if (r.resource === undefined || r.resource === null || r.resource.type_url === '') removed.push(r.name);
      else resources.push({ any: r.resource, name: r.name, version: r.version });
    }
    return { typeUrl: res.type_url, nonce: res.nonce, version: res.system_version_info ?? '', resources, removed, full: false };
  },

  withNode: (req, node) => ({ ...req, node }),
};
