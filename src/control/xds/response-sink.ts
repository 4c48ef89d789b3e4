// Serving: where one ADS stream's responses go — gRPC messages framed once and shared by every stream, written
// straight to the stream's HTTP/2 stream so that no stream holds a copy of its own.
import type * as grpc from '@grpc/grpc-js';
import { joined, type FramedResponse } from './framed-response.js';

/** One stream's way out for framed gRPC messages. */
export interface ResponseSink {
  /** Writes one response; `sent` runs once it has left (or could not: the stream is gone). */
  write(response: FramedResponse, sent: () => void): void;
  /** The stream's own buffer is full: wait for 'drain'. */
  readonly writableNeedDrain: boolean;
  on(event: 'drain', fn: () => void): unknown;
  off(event: 'drain', fn: () => void): unknown;
}

/** The parts of grpc-js' server call (1.10+, no interceptors) the direct path writes through. */
interface GrpcServerCall {
  stream: Writable2;
  cancelled: boolean;
  maxSendMessageSize: number;
  maybeSendMetadata(): void;
}
interface Writable2 {
  write(b: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
  on(event: string, fn: (...a: unknown[]) => void): unknown;
  off(event: string, fn: (...a: unknown[]) => void): unknown;
  readonly writableNeedDrain: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

function grpcCallOf(call: object): GrpcServerCall | undefined {
  const inner = (call as { call?: Partial<GrpcServerCall> }).call;
  if (inner === undefined || inner === null) return undefined;
  const s = inner.stream as Partial<Writable2> | undefined;
  const ok =
    typeof inner.maybeSendMetadata === 'function' &&
    typeof inner.cancelled === 'boolean' &&
    typeof inner.maxSendMessageSize === 'number' &&
    s !== undefined &&
    typeof s.write === 'function' &&
    typeof s.cork === 'function' &&
    typeof s.on === 'function' &&
    typeof s.writableEnded === 'boolean';
  return ok ? (inner as GrpcServerCall) : undefined;
}

/**
 * Bytes of a response handed to HTTP/2 at a time. Every chunk written costs a write entry in Node's stream and one
 * in nghttp2's queue until sent (~100 bytes with its callback); a 2,400-resource response written at once to each of
 * 1,667 slowly reading streams held 2.3 million such entries (~0.3 GB). A window bounds that per stream.
 */
const WRITE_WINDOW_BYTES = 256 * 1024;

/** The end (exclusive) of the window of chunks starting at `from`: at least one chunk, then up to `bytes`. */
function windowEnd(chunks: readonly Uint8Array[], from: number, bytes: number): number {
  let end = from;
  let size = 0;
  while (end < chunks.length && (end === from || size + chunks[end]!.length <= bytes)) size += chunks[end++]!.length;
  return end;
}

/**
 * grpc-js frames each message it is handed into a copy of its own (one per stream: a thousand sidecars syncing 7 MB
 * each are 7 GB of copies, and the garbage collection they cause). When the call is grpc-js' own, the response's
 * chunks go to its HTTP/2 stream as they are, a window at a time: HTTP/2 sends from the buffers it is given, so
 * streams share them. Otherwise (another grpc-js layout) the message goes through the call as usual.
 */
export function responseSink(call: grpc.ServerDuplexStream<unknown, unknown>): ResponseSink {
  const inner = grpcCallOf(call);
  if (inner === undefined) return viaCall(call);
  const h2 = inner.stream;
  // grpc-js listens for one 'error' only; a write racing the stream's end must not become an unhandled one
  h2.on('error', () => {});
  const gone = (): boolean => inner.cancelled || h2.destroyed || h2.writableEnded || call.writableEnded;
  return {
    write(response, sent) {
      if (gone()) return void setImmediate(sent);
      if (inner.maxSendMessageSize !== -1 && response.size - 5 > inner.maxSendMessageSize) {
        // too large for this server's limit: grpc-js' own path ends the call with RESOURCE_EXHAUSTED
        call.write(joined(response).subarray(5), () => sent());
        return;
      }
      inner.maybeSendMetadata();
      const { chunks } = response;
      let next = 0;
      // The next window goes once the last is sent. Nothing else writes to the stream meanwhile (its responses wait
      // for `sent`); a call ended mid-message (shutdown, or the peer half-closed) cuts it short, as the stream ends.
      const writeWindow = (err?: Error | null): void => {
        if ((err !== undefined && err !== null) || gone()) return sent();
        const end = windowEnd(chunks, next, WRITE_WINDOW_BYTES);
        h2.cork();
        for (; next < end - 1; next++) h2.write(chunks[next]!);
        next++;
        h2.write(chunks[end - 1]!, next === chunks.length ? () => sent() : writeWindow);
        h2.uncork();
      };
      writeWindow();
    },
    get writableNeedDrain() {
      return h2.writableNeedDrain;
    },
    on: (event, fn) => h2.on(event, fn),
    off: (event, fn) => h2.off(event, fn),
  };
}

/** Through grpc-js' call (which copies the message into a frame of its own). */
function viaCall(call: grpc.ServerDuplexStream<unknown, unknown>): ResponseSink {
  return {
    write: (response, sent) => void call.write(joined(response).subarray(5), () => sent()),
    get writableNeedDrain() {
      return call.writableNeedDrain;
    },
    on: (event, fn) => call.on(event, fn),
    off: (event, fn) => call.off(event, fn),
  };
}

/** Whether `call`'s responses go straight to HTTP/2 (tests: a grpc-js upgrade that changes its layout shows here). */
export function writesDirect(call: object): boolean {
  return grpcCallOf(call) !== undefined;
}
