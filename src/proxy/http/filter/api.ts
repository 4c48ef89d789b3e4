// HTTP filters: Envoy's stream filter model — decoder and encoder callbacks, one filter instance per request.
import type { CompiledRoute, HeaderMap, RouteRequest } from '../../router/types.js';
import type { ActiveStream } from '../active-stream.js';
import type { ResponseFlag } from '../local-reply.js';

/** 'stop' = do not pass the headers on; the filter calls continueDecoding()/continueEncoding() later. */
export type HeadersStatus = 'continue' | 'stop';
/**
 * 'stop-buffer': hold this data (and what follows) until the filter continues, bounded by the buffer limit;
 * 'stop': the filter took the data (it may inject other data to the next filter).
 */
export type DataStatus = 'continue' | 'stop-buffer' | 'stop';
export type TrailersStatus = 'continue' | 'stop';

/** The request as filters see and edit it (method, target, headers without pseudo-headers). */
export type RequestHead = RouteRequest;

/** A response head on its way downstream; filters may change the status and headers. */
export interface ResponseHead {
  status: number;
  headers: HeaderMap;
  /** The producer may send trailers after the body (gRPC, HTTP/2): the downstream must be told up front. */
  wantTrailers?: boolean;
}

/**
 * One filter instance serves one request. Every callback is optional: a missing decodeData passes data on
 * while the filter lets iteration flow, and holds it (with flow control) while the filter has stopped.
 */
export interface HttpFilter {
  decodeHeaders?(request: RequestHead, endStream: boolean): HeadersStatus;
  decodeData?(data: Buffer, endStream: boolean): DataStatus;
  decodeTrailers?(trailers: HeaderMap): TrailersStatus;
  encodeHeaders?(response: ResponseHead, endStream: boolean): HeadersStatus;
  encodeData?(data: Buffer, endStream: boolean): DataStatus;
  encodeTrailers?(trailers: HeaderMap): TrailersStatus;
  /** The stream ended (completed, reset or replied locally): release timers and outstanding calls. */
  onDestroy?(): void;
}

export interface LocalReplyOptions {
  headers?: HeaderMap;
  /** Sends a gRPC trailers-only reply with this grpc-status (gRPC requests get one anyway, mapped from the HTTP status as Envoy does). */
  grpcStatus?: number;
  flag?: ResponseFlag;
  /** Envoy's response code details (e.g. "rbac_access_denied_matched_policy[none]"), for logs. */
  details?: string;
}

/** Told when the downstream cannot take more response data, and when it can again. */
export interface WatermarkCallbacks {
  onAboveWriteBufferHighWatermark(): void;
  onBelowWriteBufferLowWatermark(): void;
}

/** What a filter instance can do to its stream; handed to the factory that makes it. */
export interface FilterCallbacks {
  /** The request and everything known about it (connection, route, flags, metadata). */
  readonly stream: ActiveStream;
  /** The filter's name in the HCM chain (typed_per_filter_config key). */
  readonly filterName: string;
  /** Max bytes a filter may make the stream buffer in either direction. */
  readonly bufferLimit: number;
  /** Envoy's setDecoderBufferLimit: the most request data the stream holds for stopped filters before a 413 (buffer filter). */
  setDecoderBufferLimit(bytes: number): void;
  route(): CompiledRoute | null;
  /** Matches the route again after a filter changed the headers or target. */
  clearRouteCache(): void;
  /** The most specific typed_per_filter_config for this filter on the current route (route > virtual host). */
  perRouteConfig<T>(): T | undefined;
  continueDecoding(): void;
  continueEncoding(): void;
  sendLocalReply(status: number, body: string, opts?: LocalReplyOptions): void;
  /** Data held for this filter by 'stop-buffer' in the decoding direction (joined), if any. */
  decodingBuffer(): Buffer | undefined;
  setDecodingBuffer(data: Buffer): void;
  encodingBuffer(): Buffer | undefined;
  setEncodingBuffer(data: Buffer): void;
  /** Passes data to the filters after this one (a filter that took data with 'stop'). */
  injectDecodedData(data: Buffer, endStream: boolean): void;
  injectEncodedData(data: Buffer, endStream: boolean): void;
  /** Trailers added at the end of the request body; only from decodeData with endStream. */
  addDecodedTrailers(): HeaderMap;
  addEncodedTrailers(): HeaderMap;
  /** For a filter that produces the response itself (router, health_check, Lua respond): sends it downstream through the encoder filters before this one. */
  encodeHeaders(response: ResponseHead, endStream: boolean): void;
  encodeData(data: Buffer, endStream: boolean): void;
  encodeTrailers(trailers: HeaderMap): void;
  /** Stop (true) or restart (false) reading the request body from the downstream; counted. */
  readDisable(disable: boolean): void;
  setWatermarkCallbacks(cb: WatermarkCallbacks): void;
  resetStream(): void;
  setDynamicMetadata(namespace: string, values: Record<string, unknown>): void;
}

/** Makes one filter instance for one request. */
export type HttpFilterFactory = (callbacks: FilterCallbacks) => HttpFilter;
