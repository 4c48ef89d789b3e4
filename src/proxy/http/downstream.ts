// HTTP: one downstream request/response, the same shape over HTTP/1.1 (h1-codec.ts) and HTTP/2 (node:http2).
import http2 from 'node:http2';
import type { HeaderMap } from '../router/types.js';

export interface DownstreamStream {
  readonly protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';
  readonly method: string;
  /** Origin-form path with query; absolute-form requests are split into authority + path by the caller. */
  readonly rawPath: string;
  readonly authority: string;
  readonly headers: HeaderMap;
  /** Request body expected (content-length > 0, chunked, or an h2 stream not ended with the headers). */
  readonly hasBody: boolean;
  readonly contentLength: number; // -1 when unknown
  readonly responseStarted: boolean;

  /** Starts the request body flowing; chunks and the end (with trailers) go to the callbacks. */
  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: HeaderMap | undefined) => void): void;
  pauseBody(): void;
  resumeBody(): void;

  respondHeaders(status: number, headers: HeaderMap, endStream: boolean, wantTrailers: boolean): void;
  respondData(chunk: Buffer): boolean;
  respondEnd(trailers: HeaderMap | undefined): void;
  onResponseDrain(cb: () => void): void;
  /** Abort the exchange: RST_STREAM on HTTP/2, closing the connection on HTTP/1.1. */
  reset(): void;
  /** Called once if the client goes away before the response completes. */
  onAbort(cb: () => void): void;
}

const EMPTY_TRAILERS: http2.OutgoingHttpHeaders = {};

export class H2Downstream implements DownstreamStream {
  readonly protocol = 'HTTP/2' as const;
  readonly method: string;
  readonly rawPath: string;
  readonly authority: string;
  readonly headers: HeaderMap;
  readonly hasBody: boolean;
  readonly contentLength: number;
  responseStarted = false;
  private trailersToSend: HeaderMap | undefined;
  private ended = false;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    rawHeaders: http2.IncomingHttpHeaders,
    flags: number,
  ) {
    this.method = (rawHeaders[':method'] as string | undefined) ?? 'GET';
    this.rawPath = (rawHeaders[':path'] as string | undefined) ?? '';
    this.authority = (rawHeaders[':authority'] as string | undefined) ?? (rawHeaders.host as string | undefined) ?? '';
    const headers: HeaderMap = {};
    for (const name in rawHeaders) if (name.charCodeAt(0) !== 58 /* ':' */) headers[name] = rawHeaders[name];
    this.headers = headers;
    const cl = headers['content-length'];
    this.contentLength = typeof cl === 'string' ? Number(cl) : -1;
    this.hasBody = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) === 0;
  }

  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: HeaderMap | undefined) => void): void {
    const s = this.stream;
    if (!this.hasBody) {
      onEnd(undefined);
      return;
    }
    let trailers: HeaderMap | undefined;
    s.on('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = { ...t };
    });
    s.on('data', onData);
    // Node ends the readable side even when the client reset the stream (RST_STREAM before
    // END_STREAM): that body is truncated, and onAbort's reset must reach the upstream instead.
    s.on('end', () => {
      if (!s.aborted) onEnd(trailers);
    });
  }

  pauseBody(): void {
    this.stream.pause();
  }

  resumeBody(): void {
    this.stream.resume();
  }

  respondHeaders(status: number, headers: HeaderMap, endStream: boolean, wantTrailers: boolean): void {
    this.responseStarted = true;
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    const out: http2.OutgoingHttpHeaders = { ':status': status };
    for (const name in headers) {
      const v = headers[name];
      if (v !== undefined) out[name] = v;
    }
    if (endStream) this.ended = true;
    if (wantTrailers && !endStream) {
      s.respond(out, { waitForTrailers: true });
      s.once('wantTrailers', () => {
        s.sendTrailers((this.trailersToSend as http2.OutgoingHttpHeaders | undefined) ?? EMPTY_TRAILERS);
      });
    } else {
      s.respond(out, { endStream });
    }
  }

  respondData(chunk: Buffer): boolean {
    if (this.stream.destroyed) return true;
    return this.stream.write(chunk);
  }

  respondEnd(trailers: HeaderMap | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.trailersToSend = trailers;
    if (!this.stream.destroyed) this.stream.end();
  }

  onResponseDrain(cb: () => void): void {
    this.stream.on('drain', cb);
  }

  reset(): void {
    this.ended = true;
    if (!this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }

  onAbort(cb: () => void): void {
    this.stream.once('close', () => {
      if (!this.ended) cb();
    });
  }
}
