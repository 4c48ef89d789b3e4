// xDS client: the two ADS gRPC methods as the proxy calls them — requests encoded and responses decoded by the wire codec, so the proxy never loads protobufjs.
import type { MethodDefinition } from '@grpc/grpc-js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse } from '../../xds/ads-service.js';
import { decodeMessage } from '../../xds/wire/decode.js';
import { wireDescriptor } from '../../xds/wire/descriptor.js';
import { encodeMessage } from '../../xds/wire/encode.js';

const PKG = 'envoy.service.discovery.v3';
const SERVICE = `${PKG}.AggregatedDiscoveryService`;

const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Any fields stay packed ({type_url, value}): resources are decoded one by one after the response is taken apart. */
function method<Req extends object, Res extends object>(rpc: string, req: string, res: string): MethodDefinition<Req, Res> {
  const d = wireDescriptor();
  const rq = d.require(`${PKG}.${req}`);
  const rs = d.require(`${PKG}.${res}`);
  return {
    path: `/${SERVICE}/${rpc}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (v: Req): Buffer => toBuffer(encodeMessage(rq, v)),
    requestDeserialize: (b: Buffer): Req => decodeMessage(d, rq, b, 'raw') as Req,
    responseSerialize: (v: Res): Buffer => toBuffer(encodeMessage(rs, v)),
    responseDeserialize: (b: Buffer): Res => decodeMessage(d, rs, b, 'raw') as Res,
  };
}

export interface AdsMethods {
  sotw: MethodDefinition<DiscoveryRequest, DiscoveryResponse>;
  delta: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

let methods: AdsMethods | undefined;

export function adsMethods(): AdsMethods {
  methods ??= {
    sotw: method<DiscoveryRequest, DiscoveryResponse>('StreamAggregatedResources', 'DiscoveryRequest', 'DiscoveryResponse'),
    delta: method<DeltaDiscoveryRequest, DeltaDiscoveryResponse>('DeltaAggregatedResources', 'DeltaDiscoveryRequest', 'DeltaDiscoveryResponse'),
  };
  return methods;
}
