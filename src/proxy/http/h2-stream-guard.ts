// HTTP/2: downstream session guards — a new stream's 'error' handled first, streams already ended dropped, a client FIN ends the session.
import type http2 from 'node:http2';

const ignoreStreamError = (): void => {
  // The stream's 'close' (ActiveStream.onAbort) does the bookkeeping; the error itself needs no action.
};

/**
 * Called first for every server 'stream' event. nghttp2 handles a whole read at once, so the HEADERS and a
 * frame ending that stream (RST_STREAM, DATA beyond content-length, a window overflow, GOAWAY) can arrive
 * together: Node then emits 'stream' for a stream already destroyed, with its 'error' queued right behind.
 * Returns false when the stream can no longer be answered.
 */
export function admitH2Stream(stream: http2.ServerHttp2Stream): boolean {
  stream.on('error', ignoreStreamError);
  if (stream.destroyed || stream.closed) return false;
  const session = stream.session;
  return session !== undefined && !session.destroyed;
}

/**
 * Listener sockets allow half-open (tcp_proxy forwards FINs), so nothing closes an HTTP/2 session whose
 * client half-closed: it would stay open for good. Like Envoy, which does not half-close HTTP connections,
 * the session ends: streams in flight finish (GOAWAY), then the socket closes.
 */
export function closeSessionOnClientFin(session: http2.ServerHttp2Session): void {
  session.socket.once('end', () => {
    if (!session.closed && !session.destroyed) session.close();
  });
}
