// HTTP filters: envoy.filters.http.grpc_http1_bridge — HTTP/1.1 gRPC clients without trailers: the response is buffered and grpc-status/-message become headers.
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import type { HeaderMap } from '../../../router/types.js';
import { firstHeader } from '../../../router/header-value.js';
import { GRPC_CONTENT_TYPE, isGrpcContentType } from '../grpc_common/headers.js';
import type { GrpcHttp1BridgeConfig } from './config.js';

const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';
const FRAME_HEADER_BYTES = 5;

export function grpcHttp1BridgeFilterFactory(config: GrpcHttp1BridgeConfig): HttpFilterFactory {
  return (cb) => new GrpcHttp1BridgeFilter(config, cb);
}

/** A gRPC length-prefixed message frame: flag 0 (not compressed), big-endian length, the message. */
function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** Anything but OK (or a status that does not parse) is a failure an HTTP/1.1 client can see. */
function failed(grpcStatus: string | undefined): boolean {
  return grpcStatus !== undefined && (!/^\d+$/.test(grpcStatus) || Number(grpcStatus) !== 0);
}

class GrpcHttp1BridgeFilter implements HttpFilter {
  /** An HTTP/1 gRPC request: its response is held whole and its trailers folded into the head. */
  private bridging = false;
  /** A protobuf request upgraded to gRPC: its body gets a frame header, the response loses one. */
  private framing = false;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private head: ResponseHead | undefined;

  constructor(
    private readonly config: GrpcHttp1BridgeConfig,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(req: RequestHead): HeadersStatus {
    const h = req.headers;
    if (this.config.upgrade_protobuf_to_grpc && firstHeader(h, 'content-type') === PROTOBUF_CONTENT_TYPE) {
      this.framing = true;
      h['content-type'] = GRPC_CONTENT_TYPE;
      delete h['content-length']; // the frame adds 5 bytes
      this.cb.clearRouteCache();
    }
    this.bridging = this.cb.stream.ds?.protocol !== 'HTTP/2' && isGrpcContentType(firstHeader(h, 'content-type'));
    if (this.bridging && this.config.ignore_query_parameters) {
      const q = req.path.indexOf('?');
      if (q >= 0) req.path = req.path.slice(0, q);
    }
    return 'continue';
  }

  /** An upgraded body is collected whole (bounded by the buffer limit) to learn the frame's length. */
  decodeData(data: Buffer, endStream: boolean): DataStatus {
    if (!this.bridging || !this.framing) return 'continue';
    if (data.length > 0) {
      this.body.push(data);
      this.bodyBytes += data.length;
      if (this.bodyBytes > this.cb.bufferLimit) {
        this.cb.sendLocalReply(413, 'Payload Too Large');
        return 'stop';
      }
    }
    if (endStream) this.cb.injectDecodedData(this.takeFramedBody(), true);
    return 'stop';
  }

  decodeTrailers(): TrailersStatus {
    // request trailers end an upgraded body too: the frame goes first, then the trailers
    if (this.bridging && this.framing) this.cb.injectDecodedData(this.takeFramedBody(), false);
    return 'continue';
  }

  encodeHeaders(res: ResponseHead, endStream: boolean): HeadersStatus {
    if (!this.bridging) return 'continue';
    if (endStream) {
      // Trailers-only: grpc-status is a header already. Envoy leaves the 200; a failure is a 503 here too, as with trailers.
      if (failed(firstHeader(res.headers, 'grpc-status'))) res.status = 503;
      return 'continue';
    }
    this.head = res;
    return 'stop';
  }

  encodeData(_data: Buffer, endStream: boolean): DataStatus {
    if (!this.bridging || endStream) return 'continue';
    return 'stop-buffer';
  }

  encodeTrailers(trailers: HeaderMap): TrailersStatus {
    const head = this.head;
    if (!this.bridging || head === undefined) return 'continue';
    const status = firstHeader(trailers, 'grpc-status');
    if (status !== undefined) {
      if (failed(status)) head.status = 503;
      head.headers['grpc-status'] = status;
    }
    const message = firstHeader(trailers, 'grpc-message');
    if (message !== undefined) head.headers['grpc-message'] = message;
    let body = this.cb.encodingBuffer();
    if (body !== undefined && this.framing) {
      body = body.subarray(Math.min(FRAME_HEADER_BYTES, body.length));
      this.cb.setEncodingBuffer(body);
    }
    // the whole body is known: a length tells an HTTP/1.1 client the response is complete (the trailers are dropped)
    head.headers['content-length'] = String(body?.length ?? 0);
    head.wantTrailers = false;
    return 'continue';
  }

  private takeFramedBody(): Buffer {
    const framed = grpcFrame(this.body.length === 1 ? this.body[0] : Buffer.concat(this.body));
    this.body = [];
    this.bodyBytes = 0;
    return framed;
  }
}
