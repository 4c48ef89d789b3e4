// Upstream pools: opens one TCP (optionally TLS) connection to a host within the cluster's connect_timeout.
import net from 'node:net';
import tls from 'node:tls';

export interface ConnectTarget {
  host: string;
  port: number;
  timeoutMs: number;
  /** TLS options (SNI, CA, SAN check, ALPN) when the cluster has an UpstreamTlsContext. */
  tls?: tls.ConnectionOptions;
  /** Raw TCP proxying passes a FIN on without closing the other direction (Node ends sockets on FIN otherwise). */
  allowHalfOpen?: boolean;
  /** A check of the TLS peer after the handshake (auto_san_validation); an error fails the connect. */
  verifyPeer?: (socket: tls.TLSSocket) => Error | undefined;
}

export type ConnectCallback = (err: Error | null, socket: net.Socket | undefined, timedOut: boolean) => void;

/** Connects and calls back exactly once; the socket has no timeout and no listeners left behind. */
export function openConnection(target: ConnectTarget, cb: ConnectCallback): void {
  let done = false;
  const allowHalfOpen = target.allowHalfOpen ?? false;
  // tls.connect honours allowHalfOpen at run time though @types/node's ConnectionOptions omits it.
  const tlsOpts: tls.ConnectionOptions & { allowHalfOpen: boolean } = { ...target.tls, host: target.host, port: target.port, allowHalfOpen };
  const socket: net.Socket = target.tls ? tls.connect(tlsOpts) : net.connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen });
  const readyEvent = target.tls ? 'secureConnect' : 'connect';
  const timer = target.timeoutMs > 0 ? setTimeout(onTimeout, target.timeoutMs) : undefined;

  function finish(err: Error | null, timedOut: boolean): void {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    socket.removeListener(readyEvent, onReady);
    socket.removeListener('error', onError);
    socket.removeListener('close', onClose);
    if (err) {
      socket.destroy();
      cb(err, undefined, timedOut);
    } else {
      socket.setNoDelay(true);
      cb(null, socket, false);
    }
  }
  function onReady(): void {
    const verify = target.verifyPeer;
    finish(verify === undefined ? null : (verify(socket as tls.TLSSocket) ?? null), false);
  }
  function onError(err: Error): void {
    finish(err, false);
  }
  function onClose(): void {
    finish(new Error('connection closed during connect'), false);
  }
  function onTimeout(): void {
    finish(new Error(`connect timeout after ${target.timeoutMs}ms`), true);
  }
  socket.once(readyEvent, onReady);
  socket.once('error', onError);
  socket.once('close', onClose);
}
