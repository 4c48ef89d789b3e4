// xDS client: gRPC sources — the ADS stream, or LDS / CDS on their own service's stream — in SotW or Delta; loaded only when a bootstrap needs one.
import type { XdsNode } from '../../xds/ads-service.js';
import { adsMethods, type XdsService } from './ads-methods.js';
import type { GrpcMethod } from './grpc-call.js';
import { AdsStream, type AdsStreamOptions } from './ads-stream.js';
import type { AdsCodec, AdsTransport, TransportHandlers, WatchRequest, XdsApi } from './ads-protocol.js';
import { deltaCodec } from './delta-codec.js';
import { sotwCodec } from './sotw-codec.js';

/** The stream plus the codec: the node travels on the first message of each stream only (set_node_on_first_message_only). */
export function createTransport<Req extends object, Res>(
  codec: AdsCodec<Req, Res>,
  node: XdsNode,
  opts: AdsStreamOptions,
  h: TransportHandlers,
  method: GrpcMethod<Req, Res> = codec.method,
): AdsTransport {
  let nodeSent = false;
  const stream = new AdsStream<Req, Res>(method, opts, {
    onOpen: () => {
      nodeSent = false;
      h.onOpen();
    },
    onResponse: (res) => h.onUpdate(codec.update(res)),
    onClose: (reason, wasOpen, retryIn) => h.onClose(reason, wasOpen, retryIn),
  });
  return {
    api: codec.api,
    get connected() {
      return stream.connected;
    },
    start: () => stream.start(),
    close: (withdraw?: boolean) => stream.close(withdraw),
    send(r: WatchRequest): boolean {
      if (!stream.connected) return false;
      const req = codec.request(r);
      if (req === undefined) return false;
      if (!stream.send(nodeSent ? req : codec.withNode(req, node))) return false;
      nodeSent = true;
      r.watch.subscribed = true;
      r.watch.sent = new Set(r.watch.names);
      return true;
    },
  };
}

/** A gRPC source of `service` speaking `api`. */
export function grpcTransport(service: XdsService, api: XdsApi, node: XdsNode, opts: AdsStreamOptions, h: TransportHandlers): AdsTransport {
  const m = adsMethods(service);
  return api === 'delta' ? createTransport(deltaCodec, node, opts, h, m.delta) : createTransport(sotwCodec, node, opts, h, m.sotw);
}

export type GrpcTransportFactory = typeof grpcTransport;
