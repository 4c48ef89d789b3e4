// xDS transport: loads the Envoy v3 .proto files shipped in @grpc/grpc-js-xds into one protobufjs Root (once per process).
//
// Why one protobufjs Root and no @grpc/proto-loader: proto-loader would parse ads.proto and its imports a
// second time (measured ~0.7 s and ~18 MB RSS more) only to build a four-method service definition,
// which ads-service.ts builds from this same Root. Only the files below are parsed (plus their imports).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';

export type ProtoRoot = protobuf.Root;
export type ProtoType = protobuf.Type;

/** Entry files, relative to the include dirs: the ADS service, the five resource types and the typed_configs we emit. */
const FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy.proto',
  'envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster.proto',
  'envoy/extensions/network/dns_resolver/cares/v3/cares_dns_resolver.proto',
  'envoy/extensions/network/dns_resolver/getaddrinfo/v3/getaddrinfo_dns_resolver.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'udpa/type/v1/typed_struct.proto',
  'xds/type/v3/typed_struct.proto',
];

/** Where the .proto trees live: the deps of @grpc/grpc-js-xds, then protobufjs' own google/protobuf/*.proto. */
export function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const dirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
  dirs.push(dirname(require.resolve('protobufjs/package.json')));
  return dirs;
}

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
  const dirs = includeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string | null => {
    if (isAbsolute(target)) return target;
    for (const d of dirs) {
      const f = join(d, target);
      if (existsSync(f)) return f;
    }
    return target; // protobufjs knows the common google/protobuf/*.proto files by name
  };
  root.loadSync([...FILES], { keepCase: true });
  root.resolveAll();
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
