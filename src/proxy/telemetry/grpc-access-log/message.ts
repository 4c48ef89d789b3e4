// gRPC access log service: envoy.service.accesslog.v3.StreamAccessLogsMessage frames — the identifier (node and
// log_name, only in a stream's first message) and a batch of pre-encoded log_entry items, in one gRPC frame.
import type { XdsNode } from '../../../xds/ads-service.js';
import { wireDescriptor } from '../../../xds/wire/descriptor.js';
import { encodeMessage } from '../../../xds/wire/encode.js';
import type { GrpcAccessLogKind } from './config.js';
import { ProtoWriter, varintBytes } from './proto-writer.js';

export const STREAM_ACCESS_LOGS_PATH = '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs';

const IDENTIFIER_FIELD = 1;
const HTTP_LOGS_FIELD = 2;
const TCP_LOGS_FIELD = 3;

/**
 * StreamAccessLogsMessage.Identifier bytes. The node goes through the proxy's wire descriptor (loaded here, on a
 * logger's first flush, so a proxy without gRPC access logs never reads it); should that fail, the log name alone.
 */
export function encodeIdentifier(node: XdsNode, logName: string): Buffer {
  const w = new ProtoWriter(256);
  try {
    w.raw(1, encodeMessage(wireDescriptor().require('envoy.config.core.v3.Node'), node));
  } catch (err) {
    w.reset();
    process.emitWarning(`gRPC access log: cannot encode the node for the stream identifier: ${(err as Error).message}`);
  }
  w.string(2, logName);
  return w.finish();
}

/** One gRPC frame (uncompressed flag, big-endian length) holding one StreamAccessLogsMessage. */
export function streamMessageFrame(identifier: Buffer | null, kind: GrpcAccessLogKind, items: readonly Buffer[], itemBytes: number): Buffer {
  const idTag = identifier === null ? null : Buffer.concat([varintBytes(IDENTIFIER_FIELD * 8 + 2), varintBytes(identifier.length)]);
  const logsTag = Buffer.concat([varintBytes((kind === 'http' ? HTTP_LOGS_FIELD : TCP_LOGS_FIELD) * 8 + 2), varintBytes(itemBytes)]);
  const size = (idTag === null ? 0 : idTag.length + identifier!.length) + logsTag.length + itemBytes;
  const out = Buffer.allocUnsafe(5 + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  let at = 5;
  if (idTag !== null) {
    at += idTag.copy(out, at);
    at += identifier!.copy(out, at);
  }
  at += logsTag.copy(out, at);
  for (const it of items) at += it.copy(out, at);
  return out;
}
