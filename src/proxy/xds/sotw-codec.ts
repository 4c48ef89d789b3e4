// xDS client: StreamAggregatedResources (state of the world) — every request names the whole interest and the last accepted version.
import type { DiscoveryRequest, DiscoveryResponse } from '../../xds/ads-service.js';
import { adsMethods } from './ads-methods.js';
import { WILDCARD_TYPES } from '../../xds/type-urls.js';
import { INVALID_ARGUMENT, type AdsCodec, type WatchRequest, type XdsUpdate } from './ads-protocol.js';

export const sotwCodec: AdsCodec<DiscoveryRequest, DiscoveryResponse> = {
  api: 'sotw',
  method: adsMethods().sotw,

  /** A (re)subscription, ACK or NACK: version = last accepted, names = current interest, nonce = last response seen. */
  request(r: WatchRequest): DiscoveryRequest {
    const w = r.watch;
    const req: DiscoveryRequest = { version_info: r.version, resource_names: w.wildcard ? [] : w.names, type_url: w.typeUrl, response_nonce: w.nonce };
    if (r.errorDetail !== undefined) req.error_detail = { code: INVALID_ARGUMENT, message: r.errorDetail };
    return req;
  },

  update(res: DiscoveryResponse): XdsUpdate {
    return {
      typeUrl: res.type_url,
      nonce: res.nonce,
      version: res.version_info,
      resources: res.resources.map((any) => ({ any })),
      removed: [],
      // the xDS spec: LDS/CDS responses carry the full set; EDS/RDS only what they name
      full: WILDCARD_TYPES.has(res.type_url),
    };
  },

  withNode: (req, node) => ({ ...req, node }),
};
