// Control-plane tap: the `/trellis.tap.v1.Tap/Stream` gRPC service beside ADS — callers authenticated like ADS, their node must be a connected ADS proxy claiming that identity.
import * as grpc from '@grpc/grpc-js';
import { decodeTapUp, encodeTap, TAP_STREAM_PATH, type TapDown, type TapUp } from '../../tap/protocol.js';
import { proxyNodeFromNode } from '../model/proxy-node.js';
import type { ConnectedProxy } from '../xds/types.js';
import { claimedIdentity, type StreamAuthenticator } from '../xds/stream-auth.js';
import type { TapHub, TapProxyLink } from './tap-hub.js';

export const TAP_SERVICE: grpc.ServiceDefinition = {
  Stream: {
    path: TAP_STREAM_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: TapUp) => encodeTap(m),
    requestDeserialize: (b: Buffer) => decodeTapUp(b),
    responseSerialize: (m: TapDown) => encodeTap(m),
    responseDeserialize: (b: Buffer) => b,
    originalName: 'stream',
  },
};

export interface TapServiceDeps {
  hub: TapHub;
  /** The proxies on ADS streams: a tap stream's node must be one of them (so its metadata was already checked). */
  connected(): readonly ConnectedProxy[];
  log(msg: string): void;
}

export function addTapService(server: grpc.Server, deps: TapServiceDeps, auth?: StreamAuthenticator): void {
  server.addService(TAP_SERVICE, { Stream: (call: grpc.ServerDuplexStream<TapUp, TapDown>) => serveTapStream(call, deps, auth) });
}

export function serveTapStream(call: grpc.ServerDuplexStream<TapUp, TapDown>, deps: TapServiceDeps, auth: StreamAuthenticator | undefined): void {
  let link: TapProxyLink | undefined;
  let closed = false;
  const refuse = (code: grpc.status, details: string): void => {
    deps.log(`tap: refused stream from ${call.getPeer()}: ${grpc.status[code]}: ${details}`);
    closed = true;
    call.emit('error', { code, details });
  };
  const done = (): void => {
    closed = true;
    if (link !== undefined) deps.hub.detach(link);
  };
  call.on('error', done);
  call.on('cancelled', done);
  call.on('close', done);
  call.on('end', () => {
    done();
    call.end();
  });
  const serve = (identity: { namespace: string; serviceAccount: string } | undefined): void => {
    call.on('data', (m: TapUp) => {
      if (closed) return;
      if (link === undefined) {
        if (!('node' in m)) return refuse(grpc.status.INVALID_ARGUMENT, 'the first tap message must name the node');
        const ads = deps.connected().find((p) => p.id === m.node.id);
        if (ads === undefined) return refuse(grpc.status.UNAVAILABLE, `node ${m.node.id} has no ADS stream yet`);
        const node = { id: ads.id, metadata: ads.metadata as Record<string, unknown> };
        if (identity !== undefined) {
          const claimed = claimedIdentity(node);
          if (claimed.namespace !== identity.namespace || claimed.serviceAccount !== identity.serviceAccount) {
            return refuse(grpc.status.PERMISSION_DENIED, `node ${ads.id} claims ns=${claimed.namespace} sa=${claimed.serviceAccount} but authenticated as ns=${identity.namespace} sa=${identity.serviceAccount}`);
          }
        }
        link = { node: proxyNodeFromNode(node), send: (msg) => void (!closed && call.write(msg)) };
        deps.hub.attach(link);
        return;
      }
      if ('events' in m) deps.hub.deliver(link, m.events.id, m.events.events, m.events.dropped);
    });
  };
  if (auth === undefined) return serve(undefined);
  auth.authenticate(call).then(
    (r) => (closed ? undefined : r.ok ? serve(r.identity) : refuse(grpc.status.UNAUTHENTICATED, r.reason)),
    (e: unknown) => refuse(grpc.status.UNAUTHENTICATED, e instanceof Error ? e.message : String(e)),
  );
}
