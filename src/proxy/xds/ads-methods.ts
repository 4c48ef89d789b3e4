// xDS client: the two ADS gRPC methods as the proxy calls them — requests encoded and responses decoded by the wire codec, so the proxy never loads protobufjs.
import type { GrpcMethod } from './grpc-call.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse } from '../../xds/ads-service.js';
import { decodeMessage } from '../../xds/wire/decode.js';
import { wireDescriptor } from '../../xds/wire/descriptor.js';
import { encodeMessage } from '../../xds/wire/encode.js';

const PKG = 'envoy.service.discovery.v3';
const SERVICE = `${PKG}.AggregatedDiscoveryService`;

const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Any fields stay packed ({type_url, value}): resources are decoded one by one after the response is taken apart. */
function method<Req extends object, Res extends object>(rpc: string, req: string, res: string): GrpcMethod<Req, Res> {
  const d = wireDescriptor();
  const rq = d.require(`${PKG}.${req}`);
  const rs = d.require(`${PKG}.${res}`);
  return {
    path: `/${SERVICE}/${rpc}`,
    serialize: (v: Req): Buffer => toBuffer(encodeMessage(rq, v)),
    deserialize: (b: Buffer): Res => decodeMessage(d, rs, b, 'raw') as Res,
  };
}

export interface AdsMethods {
  sotw: GrpcMethod<DiscoveryRequest, DiscoveryResponse>;
  delta: GrpcMethod<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

let methods: AdsMethods | undefined;

export function adsMethods(): AdsMethods {
  methods ??= {
    sotw: method<DiscoveryRequest, DiscoveryResponse>('StreamAggregatedResources', 'DiscoveryRequest', 'DiscoveryResponse'),
    delta: method<DeltaDiscoveryRequest, DeltaDiscoveryResponse>('DeltaAggregatedResources', 'DeltaDiscoveryRequest', 'DeltaDiscoveryResponse'),
  };
  return methods;
}
