// HTTP filters (gRPC bridges): gRPC content types, response shapes and grpc-message encoding shared by grpc_web and grpc_http1_bridge.
import type { HeaderMap } from '../../../router/types.js';
import { firstHeader } from '../../../router/header-value.js';

export const GRPC_CONTENT_TYPE = 'application/grpc';

/** application/grpc, application/grpc+proto, application/grpc;… — Envoy's hasGrpcContentType. */
export function isGrpcContentType(ct: string | undefined): boolean {
  if (ct === undefined || !ct.startsWith(GRPC_CONTENT_TYPE)) return false;
  const next = ct.charCodeAt(GRPC_CONTENT_TYPE.length);
  return ct.length === GRPC_CONTENT_TYPE.length || next === 43 /* + */ || next === 59 /* ; */;
}

/** A gRPC response head: trailers-only (grpc-status, end of stream) or 200 with a gRPC content type. */
export function isGrpcResponse(status: number, headers: HeaderMap, endStream: boolean): boolean {
  if (endStream) return headers['grpc-status'] !== undefined;
  return status === 200 && isGrpcContentType(firstHeader(headers, 'content-type'));
}

/** gRPC's percent-encoding for grpc-message: '%' and bytes outside ' '..'~' become %XX (UTF-8). */
export function percentEncodeGrpcMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  let out = '';
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e || b === 0x25) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}
