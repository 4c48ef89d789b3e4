// Test helper: Envoy's own access log service protos (protobufjs, parsed once), to decode what the proxy encodes by hand.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { includeDirs } from '../../../../src/xds/proto-files.js';

let root: protobuf.Root | undefined;

function alsRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const dirs = includeDirs();
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string): string => {
    if (isAbsolute(target)) return target;
    for (const d of dirs) {
      const f = join(d, target);
      if (existsSync(f)) return f;
    }
    return target;
  };
  r.loadSync('envoy/service/accesslog/v3/als.proto', { keepCase: true });
  r.resolveAll();
  return (root = r);
}

// decoded test data: read field by field in assertions
export type Obj = Record<string, any>;

/** Decodes one StreamAccessLogsMessage (the bytes after the 5-byte gRPC frame header) into a plain object. */
export function decodeStreamMessage(bytes: Uint8Array): Obj {
  const t = alsRoot().lookupType('envoy.service.accesslog.v3.StreamAccessLogsMessage');
  return t.toObject(t.decode(bytes), { longs: Number, enums: String, defaults: false, oneofs: false }) as Obj;
}

/** The messages of a byte stream of gRPC frames. */
export function unframe(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 5 <= buf.length) {
    const len = buf.readUInt32BE(at + 1);
    out.push(buf.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  return out;
}
