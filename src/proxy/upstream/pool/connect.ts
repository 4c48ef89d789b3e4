// Upstream pools: opens one TCP (optionally TLS) connection to a host within the cluster's connect_timeout.
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

export interface ConnectTarget {
  host: string;
  port: number;
  timeoutMs: number;
  /** TLS options (SNI, CA, SAN check, ALPN) when the cluster has an UpstreamTlsContext. */
  tls?: tls.ConnectionOptions;
}

export type ConnectCallback = (err: Error | null, socket: Duplex | undefined, timedOut: boolean) => void;

/** Connects and calls back exactly once; the socket has no timeout and no listeners left behind. */
export function openConnection(target: ConnectTarget, cb: ConnectCallback): void {
  let done = false;
  const socket: net.Socket = target.tls
    ? tls.connect({ ...target.tls, host: target.host, port: target.port })
    : net.connect({ host: target.host, port: target.port, noDelay: true });
  const readyEvent = target.tls ? 'secureConnect' : 'connect';
  const timer = target.timeoutMs > 0 ? setTimeout(onTimeout, target.timeoutMs) : undefined;

  function finish(err: Error | null, timedOut: boolean): void {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    socket.removeListener(readyEvent, onReady);
    socket.removeListener('error', onError);
    if (err) {
      socket.destroy();
      cb(err, undefined, timedOut);
    } else {
      socket.setNoDelay(true);
      cb(null, socket, false);
    }
  }
  function onReady(): void {
    finish(null, false);
  }
  function onError(err: Error): void {
    finish(err, false);
  }
  function onTimeout(): void {
    finish(new Error(`connect timeout after ${target.timeoutMs}ms`), true);
  }
  socket.once(readyEvent, onReady);
  socket.once('error', onError);
}
