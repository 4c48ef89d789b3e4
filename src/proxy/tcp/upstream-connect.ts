// TCP proxy: opens one upstream connection (plain or TLS) within connect_timeout, half-close enabled.
import net from 'node:net';
import tls from 'node:tls';

export interface TcpConnectTarget {
  host: string;
  port: number;
  timeoutMs: number;
  tls?: tls.ConnectionOptions;
}

export type TcpConnectCallback = (err: Error | null, socket: net.Socket | undefined, timedOut: boolean) => void;

/**
 * Like the HTTP pools' connect, but with allowHalfOpen: a raw TCP proxy must pass a FIN from one
 * side without closing the other direction, and Node sockets end themselves on FIN otherwise.
 */
export function connectUpstream(target: TcpConnectTarget, cb: TcpConnectCallback): void {
  let done = false;
  // tls.connect honours allowHalfOpen at run time though @types/node's ConnectionOptions omits it.
  const tlsOpts: tls.ConnectionOptions & { allowHalfOpen: boolean } = { ...target.tls, host: target.host, port: target.port, allowHalfOpen: true };
  const socket: net.Socket = target.tls
    ? tls.connect(tlsOpts)
    : net.connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
  const readyEvent = target.tls ? 'secureConnect' : 'connect';
  const timer = target.timeoutMs > 0 ? setTimeout(() => finish(new Error(`connect timeout after ${target.timeoutMs}ms`), true), target.timeoutMs) : undefined;

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
    finish(null, false);
  }
  function onError(err: Error): void {
    finish(err, false);
  }
  function onClose(): void {
    finish(new Error('connection closed during connect'), false);
  }
  socket.once(readyEvent, onReady);
  socket.once('error', onError);
  socket.once('close', onClose);
}
