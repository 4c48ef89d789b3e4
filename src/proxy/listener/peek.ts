// Listener filters: reads the first bytes of a connection and puts them back, so inspection is invisible downstream.
import type { Duplex } from 'node:stream';

export type PeekOutcome = 'done' | 'timeout' | 'closed';

/**
 * Reads in paused mode ('readable' + read()) until `decide(bytesSoFar)` returns true, then
 * unshift()s everything read. Paused mode matters: once the 'readable' listener is gone the stream's
 * flowing state returns to "unset", so whoever takes the socket next (http.Server, http2.Server,
 * tls.Server via emit('connection')) starts it as if it were fresh. Node's http parser, Http2Session
 * and TLSSocket all drain bytes already buffered on the JS side before consuming the C++ handle
 * directly; test/proxy/listener/peek-handoff.test.ts proves this for each of them.
 * On timeout the bytes are put back too (continue_on_listener_filters_timeout may go on);
 * on EOF/close nothing is put back (unshift after 'end' is an error) and the caller closes.
 */
export function peekSocket(
  socket: Duplex,
  decide: (buf: Buffer) => boolean,
  timeoutMs: number,
  cb: (outcome: PeekOutcome, buf: Buffer) => void,
): void {
  let chunks: Buffer[] = [];
  let total = 0;
  let finished = false;
  const timer = timeoutMs > 0 ? setTimeout(() => finish('timeout'), timeoutMs) : undefined;

  function bytes(): Buffer {
    if (chunks.length > 1) chunks = [Buffer.concat(chunks, total)];
    return chunks[0] ?? Buffer.alloc(0);
  }
  function finish(outcome: PeekOutcome): void {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    socket.removeListener('readable', onReadable);
    socket.removeListener('end', onEnd);
    socket.removeListener('close', onEnd);
    const buf = bytes();
    if (outcome !== 'closed' && buf.length > 0) socket.unshift(buf);
    cb(outcome, buf);
  }
  function onReadable(): void {
    let chunk: Buffer | null;
    let grew = false;
    while ((chunk = socket.read() as Buffer | null) !== null) {
      chunks.push(chunk);
      total += chunk.length;
      grew = true;
    }
    if (grew && decide(bytes())) finish('done');
  }
  function onEnd(): void {
    finish('closed');
  }
  socket.on('readable', onReadable);
  socket.once('end', onEnd);
  socket.once('close', onEnd);
}
