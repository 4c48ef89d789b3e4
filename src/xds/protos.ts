// xDS transport: the Envoy v3 .proto files (proto-files.ts) as one protobufjs Root, parsed once per process — the control plane's codec.
//
// Why one protobufjs Root and no @grpc/proto-loader: proto-loader would parse ads.proto and its imports a
// second time (measured ~0.7 s and ~18 MB RSS more) only to build a four-method service definition,
// which ads-service.ts builds from this same Root. `trellis proxy` does not load this Root at all: it decodes with
// the much smaller wire descriptor (wire/descriptor.ts).
import protobuf from 'protobufjs';
import { parseProtoFiles } from './proto-files.js';

export type ProtoRoot = protobuf.Root;
export type ProtoType = protobuf.Type;

export interface LoadStats {
  /** Wall time of the parse, ms. */
  loadMs: number;
  /** RSS growth during the load, bytes (approximate: includes garbage not yet collected). */
  rssDelta: number;
  files: number;
}

let loaded: { root: ProtoRoot; stats: LoadStats } | undefined;

/** The shared Root (keepCase: field names as in the .proto, snake_case). Parsed on first call. */
export function protoRoot(): ProtoRoot {
  return load().root;
}

export function protoLoadStats(): LoadStats {
  return load().stats;
}

function load(): { root: ProtoRoot; stats: LoadStats } {
  if (loaded !== undefined) return loaded;
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const root = parseProtoFiles(protobuf);
  loaded = { root, stats: { loadMs: performance.now() - t0, rssDelta: process.memoryUsage().rss - rss0, files: root.files.length } };
  return loaded;
}

const typeCache = new Map<string, ProtoType | null>();

/** The message type for a type URL (`type.googleapis.com/pkg.Msg`) or full name; undefined if not loaded. */
export function lookupType(typeUrlOrName: string): ProtoType | undefined {
  let t = typeCache.get(typeUrlOrName);
  if (t === undefined) {
    const name = typeUrlOrName.slice(typeUrlOrName.lastIndexOf('/') + 1);
    const found = protoRoot().lookup(name);
    t = found instanceof protobuf.Type ? found : null;
    typeCache.set(typeUrlOrName, t);
  }
  return t ?? undefined;
}

export function requireType(typeUrlOrName: string): ProtoType {
  const t = lookupType(typeUrlOrName);
  if (t === undefined) throw new Error(`xds: message type ${typeUrlOrName} is not loaded`);
  return t;
}
