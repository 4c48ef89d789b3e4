// xDS client: the discovery gRPC methods as the proxy calls them (ADS, or LDS / CDS on their own service) — requests encoded and responses decoded by the wire codec, so the proxy never loads protobufjs.
import type { GrpcMethod } from './grpc-call.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse } from '../../xds/ads-service.js';
import { decodeMessage } from '../../xds/wire/decode.js';
import { wireDescriptor } from '../../xds/wire/descriptor.js';
import { encodeMessage } from '../../xds/wire/encode.js';

const PKG = 'envoy.service.discovery.v3';

/** Which RPC carries the stream: ADS (every type), or one type's own discovery service (same four messages, another path). */
export type XdsService = 'ads' | 'listener' | 'cluster';

const SERVICES: Record<XdsService, { service: string; sotw: string; delta: string }> = {
  ads: { service: `${PKG}.AggregatedDiscoveryService`, sotw: 'StreamAggregatedResources', delta: 'DeltaAggregatedResources' },
  listener: { service: 'envoy.service.listener.v3.ListenerDiscoveryService', sotw: 'StreamListeners', delta: 'DeltaListeners' },
  cluster: { service: 'envoy.service.cluster.v3.ClusterDiscoveryService', sotw: 'StreamClusters', delta: 'DeltaClusters' },
};

const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Any fields stay packed ({type_url, value}): resources are decoded one by one after the response is taken apart. */
function method<Req extends object, Res extends object>(path: string, req: string, res: string): GrpcMethod<Req, Res> {
  const d = wireDescriptor();
  const rq = d.require(`${PKG}.${req}`);
  const rs = d.require(`${PKG}.${res}`);
  return {
    path,
    serialize: (v: Req): Buffer => toBuffer(encodeMessage(rq, v)),
    deserialize: (b: Buffer): Res => decodeMessage(d, rs, b, 'raw') as Res,
  };
}

export interface AdsMethods {
  sotw: GrpcMethod<DiscoveryRequest, DiscoveryResponse>;
  delta: GrpcMethod<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

const methods = new Map<XdsService, AdsMethods>();

export function adsMethods(service: XdsService = 'ads'): AdsMethods {
  let m = methods.get(service);
  if (m === undefined) {
    const s = SERVICES[service];
    m = {
      sotw: method<DiscoveryRequest, DiscoveryResponse>(`/${s.service}/${s.sotw}`, 'DiscoveryRequest', 'DiscoveryResponse'),
      delta: method<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(`/${s.service}/${s.delta}`, 'DeltaDiscoveryRequest', 'DeltaDiscoveryResponse'),
    };
    methods.set(service, m);
  }
  return m;
}
