// HTTP/2: downstream session guards — a new stream's 'error' handled first, streams already ended dropped, stuck streams and sessions ended.
import http2 from 'node:http2';

const ignoreError = (): void => {
  // Streams: their 'close' (ActiveStream.onAbort) does the bookkeeping. Sessions: 'close' follows.
};

interface SessionGuard {
  active: number;
  /** The last active stream closed: finish a pending end, or start the idle_timeout. */
  onIdle: () => void;
}
const guards = new WeakMap<http2.Http2Session, SessionGuard>();

/**
 * Called first for every server 'stream' event. nghttp2 handles a whole read at once, so the HEADERS and a
 * frame ending that stream (RST_STREAM, DATA beyond content-length, a window overflow, GOAWAY) can arrive
 * together: Node then emits 'stream' for a stream already destroyed, with its 'error' queued right behind.
 * Returns false when the stream can no longer be answered.
 *
 * `streamIdleTimeoutMs` also bounds a stream whose response the proxy has fully produced but that makes no
 * progress (the client stopped reading, or nghttp2 terminated the session): it is reset, as Envoy's
 * stream_idle_timeout does. Before that point the router's own timers answer or reset the stream.
 */
export function admitH2Stream(stream: http2.ServerHttp2Stream, streamIdleTimeoutMs: number): boolean {
  stream.on('error', ignoreError);
  if (stream.destroyed || stream.closed) return false;
  const session = stream.session;
  if (session === undefined || session.destroyed) return false;
  const guard = guards.get(session);
  if (guard !== undefined) {
    guard.active++;
    stream.once('close', () => {
      if (--guard.active === 0) guard.onIdle();
    });
  }
  if (streamIdleTimeoutMs > 0) {
    const onIdle = (): void => {
      if (stream.destroyed) return;
      if (!(stream.headersSent && stream.writableEnded)) {
        stream.setTimeout(streamIdleTimeoutMs, onIdle); // still the router's: look again after another idle period
        return;
      }
      stream.close(http2.constants.NGHTTP2_CANCEL);
      stream.destroy(); // close() alone waits for nghttp2 to send the RST_STREAM, which a dead session never does
    };
    stream.setTimeout(streamIdleTimeoutMs, onIdle);
  }
  return true;
}

/**
 * Ends a downstream session Node would leave open:
 * - the client half-closed: listener sockets allow half-open (tcp_proxy forwards FINs) and node:http2 does
 *   not react to the end of its socket; Envoy does not half-close HTTP connections.
 * - idle_timeout (common_http_protocol_options) passed with no active stream. This also ends sessions that
 *   nghttp2 terminated after a connection error: it sends GOAWAY and stops reading, but Node never drops them.
 * Either way streams in flight finish first (GOAWAY, then close).
 */
export function guardH2Session(session: http2.ServerHttp2Session, idleTimeoutMs: number): void {
  session.on('error', ignoreError);
  const guard: SessionGuard = { active: 0, onIdle: () => {} };
  const end = (): void => {
    if (session.destroyed) return;
    if (!session.closed) session.close(); // GOAWAY; Node destroys the session when its streams are done...
    // ...unless nghttp2 still holds part of a frame or header block: then nothing else ever would.
    if (guard.active === 0 && !session.destroyed) session.destroy();
  };
  session.socket.once('end', end);
  const onTimeout = (): void => {
    if (guard.active === 0) end();
  };
  // Node restarts this timer on every frame read or written; it restarts here when the last stream closes.
  const armIdle = (): void => {
    if (idleTimeoutMs > 0 && !session.destroyed) session.setTimeout(idleTimeoutMs, onTimeout);
  };
  guard.onIdle = () => {
    if (session.closed) end();
    else armIdle();
  };
  armIdle();
  guards.set(session, guard);
}
