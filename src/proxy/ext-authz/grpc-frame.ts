// External authorization (shared by the HTTP and network filters): the 5-byte length-prefixed gRPC message framing of a unary call.

/** One uncompressed gRPC message: flag 0, big-endian length, the bytes. */
export function frameGrpcMessage(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/**
 * The single message of a unary response body, or an error string. We never offer compression, so a
 * compressed flag is an error; so are a short frame, bytes after the message, and an empty body.
 */
export function unframeUnaryGrpc(body: Buffer): Buffer | string {
  if (body.length < 5) return body.length === 0 ? 'empty response body' : 'truncated gRPC frame header';
  const flag = body[0];
  if (flag !== 0) return flag === 1 ? 'compressed gRPC message (compression was not offered)' : `bad gRPC frame flag ${flag}`;
  const len = body.readUInt32BE(1);
  if (body.length < 5 + len) return 'truncated gRPC message';
  if (body.length > 5 + len) return 'more than one gRPC message in a unary response';
  return body.subarray(5, 5 + len);
}
