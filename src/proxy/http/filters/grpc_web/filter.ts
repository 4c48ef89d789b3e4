// HTTP filters: envoy.filters.http.grpc_web — gRPC-Web (binary and base64 text) requests to gRPC, responses back with a 0x80 trailer frame.
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import type { HeaderMap } from '../../../router/types.js';
import { firstHeader } from '../../../router/header-value.js';
import { grpcStatusForHttp } from '../../local-reply.js';
import { cropRight, trimOws } from '../compression/headers.js';
import { GRPC_CONTENT_TYPE, isGrpcResponse, percentEncodeGrpcMessage } from '../grpc_common/headers.js';
import { Base64StreamDecoder, FrameBase64Encoder, trailerFrame } from './text-codec.js';

const GRPC_WEB = 'application/grpc-web';
const GRPC_WEB_PROTO = 'application/grpc-web+proto';
const GRPC_WEB_TEXT = 'application/grpc-web-text';
const GRPC_WEB_TEXT_PROTO = 'application/grpc-web-text+proto';
/** The gRPC-Web content types this filter takes, matched exactly as Envoy does. */
const WEB_TYPES: ReadonlySet<string> = new Set([GRPC_WEB, GRPC_WEB_PROTO, GRPC_WEB_TEXT, GRPC_WEB_TEXT_PROTO]);
/** At most this much of a non-gRPC response body becomes its grpc-message (Envoy's limit). */
const MAX_MESSAGE_BYTES = 16384;
const BAD_BASE64 = 'Bad gRPC-web request, invalid base64 data.';

export function grpcWebFilterFactory(): HttpFilterFactory {
  return (cb) => new GrpcWebFilter(cb);
}

/** A 200 response already speaking gRPC-Web (binary): passed on as it is. */
function isGrpcWebResponse(status: number, headers: HeaderMap): boolean {
  const ct = firstHeader(headers, 'content-type');
  if (status !== 200 || ct === undefined) return false;
  const media = trimOws(cropRight(ct, ';')).toLowerCase();
  return media === GRPC_WEB_PROTO || media === GRPC_WEB;
}

class GrpcWebFilter implements HttpFilter {
  private active = false;
  /** Request body is base64 text. */
  private textRequest: Base64StreamDecoder | undefined;
  /** The client asked (Accept) for a base64 text response. */
  private textResponse: FrameBase64Encoder | undefined;
  /** The upstream answered without gRPC: its head is held and its body becomes grpc-message. */
  private transformHead: ResponseHead | undefined;
  private messageParts: Buffer[] = [];
  private messageBytes = 0;

  constructor(private readonly cb: FilterCallbacks) {}

  decodeHeaders(req: RequestHead): HeadersStatus {
    const h = req.headers;
    const ct = firstHeader(h, 'content-type');
    if (ct === undefined || !WEB_TYPES.has(ct)) return 'continue';
    this.active = true;
    // the HTTP/1.1 length is not the length of the gRPC body sent upstream
    delete h['content-length'];
    if (ct === GRPC_WEB_TEXT || ct === GRPC_WEB_TEXT_PROTO) this.textRequest = new Base64StreamDecoder();
    h['content-type'] = GRPC_CONTENT_TYPE;
    const accept = firstHeader(h, 'accept');
    if (accept === GRPC_WEB_TEXT || accept === GRPC_WEB_TEXT_PROTO) this.textResponse = new FrameBase64Encoder();
    h.te = 'trailers';
    if (h['grpc-accept-encoding'] === undefined) h['grpc-accept-encoding'] = 'identity,deflate,gzip';
    return 'continue';
  }

  decodeData(data: Buffer, endStream: boolean): DataStatus {
    const dec = this.textRequest;
    if (dec === undefined) return 'continue';
    const out = dec.push(data);
    if (out === undefined) {
      this.cb.sendLocalReply(400, BAD_BASE64, { details: 'grpc_base_64_decode_failed' });
      return 'stop';
    }
    if (endStream && dec.pending !== 0) {
      // base64 padding is mandatory: the body must end on a whole group
      this.cb.sendLocalReply(400, BAD_BASE64, { details: 'grpc_base_64_decode_failed_bad_size' });
      return 'stop';
    }
    if (out.length > 0 || endStream) this.cb.injectDecodedData(out, endStream);
    return 'stop';
  }

  encodeHeaders(res: ResponseHead, endStream: boolean): HeadersStatus {
    if (!this.active) return 'continue';
    const h = res.headers;
    const transform = !isGrpcResponse(res.status, h, endStream) && !isGrpcWebResponse(res.status, h);
    // the body is re-framed (and maybe re-encoded), so its upstream length is meaningless
    delete h['content-length'];
    h['content-type'] = this.textResponse !== undefined ? GRPC_WEB_TEXT_PROTO : GRPC_WEB_PROTO;
    if (endStream || !transform) {
      // trailers travel in the body as a trailer frame
      res.wantTrailers = false;
      return 'continue';
    }
    this.transformHead = res;
    return 'stop';
  }

  encodeData(data: Buffer, endStream: boolean): DataStatus {
    if (!this.active) return 'continue';
    if (this.transformHead !== undefined) {
      this.keepForMessage(data);
      if (endStream) this.finishTransform();
      return 'stop';
    }
    const enc = this.textResponse;
    if (enc === undefined) return 'continue';
    let text = enc.push(data);
    if (endStream) text += enc.end();
    if (text.length > 0 || endStream) this.cb.injectEncodedData(Buffer.from(text, 'latin1'), endStream);
    return 'stop';
  }

  encodeTrailers(trailers: HeaderMap): TrailersStatus {
    if (!this.active) return 'continue';
    if (this.transformHead !== undefined) {
      // a non-gRPC response with trailers: its head is fixed up and released with them
      this.finishTransform();
      return 'continue';
    }
    const frame = trailerFrame(trailers);
    const enc = this.textResponse;
    const out = enc === undefined ? frame : Buffer.from(enc.end() + frame.toString('base64'), 'latin1');
    this.cb.injectEncodedData(out, true);
    return 'stop';
  }

  private keepForMessage(data: Buffer): void {
    const room = MAX_MESSAGE_BYTES - this.messageBytes;
    if (room <= 0 || data.length === 0) return;
    const part = data.length > room ? data.subarray(0, room) : data;
    this.messageParts.push(part);
    this.messageBytes += part.length;
  }

  /** Envoy's answer for a non-gRPC response: the body (up to 16 KiB) as grpc-message, the status mapped, no body. */
  private finishTransform(): void {
    const res = this.transformHead!;
    this.transformHead = undefined;
    const body = Buffer.concat(this.messageParts).toString('utf8');
    this.messageParts = [];
    res.headers['grpc-message'] = percentEncodeGrpcMessage(body);
    res.headers['grpc-status'] = String(grpcStatusForHttp(res.status));
    res.headers['content-length'] = '0';
    // nothing of the body was held, so the head goes on alone (with the end of stream, or before the trailers)
    this.cb.continueEncoding();
  }
}
