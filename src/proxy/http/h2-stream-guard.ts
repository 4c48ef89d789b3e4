// HTTP/2: downstream session guards — a new stream's 'error' handled first, streams already ended dropped, FIN and idle end a session.
import type http2 from 'node:http2';

const ignoreError = (): void => {
  // Streams: their 'close' (ActiveStream.onAbort) does the bookkeeping. Sessions: 'close' follows.
};

/** Streams admitted and not yet closed, per session: idle_timeout only counts time without any. */
const activeStreams = new WeakMap<http2.Http2Session, number>();

/**
 * Called first for every server 'stream' event. nghttp2 handles a whole read at once, so the HEADERS and a
 * frame ending that stream (RST_STREAM, DATA beyond content-length, a window overflow, GOAWAY) can arrive
 * together: Node then emits 'stream' for a stream already destroyed, with its 'error' queued right behind.
 * Returns false when the stream can no longer be answered.
 */
export function admitH2Stream(stream: http2.ServerHttp2Stream): boolean {
  stream.on('error', ignoreError);
  if (stream.destroyed || stream.closed) return false;
  const session = stream.session;
  if (session === undefined || session.destroyed) return false;
  activeStreams.set(session, (activeStreams.get(session) ?? 0) + 1);
  stream.once('close', () => activeStreams.set(session, (activeStreams.get(session) ?? 1) - 1));
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
  const end = (): void => {
    if (!session.closed && !session.destroyed) session.close();
  };
  session.socket.once('end', end);
  if (idleTimeoutMs > 0) {
    // Node re-arms this timer on every frame read or written.
    session.setTimeout(idleTimeoutMs, () => {
      if ((activeStreams.get(session) ?? 0) === 0) end();
    });
  }
}
