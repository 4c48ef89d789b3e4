// xDS client: decodes and validates every resource of one DiscoveryResponse into domain objects, collecting every error for the NACK.
import type { ConfigError, Result } from '../../common/result.js';
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration, VirtualHost } from '../config/types.js';
import {
  validateCluster,
  validateClusterLoadAssignment,
  validateListener,
  validateRouteConfiguration,
  validateSecret,
  validateVirtualHostResource,
} from '../config/validators.js';
import { sdsNames, type TlsSecret } from '../tls/secret-manager.js';
import { tryRouteTableCompiler, type RouteTableCompiler } from '../router/route-table.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import type { RouteTable } from '../router/types.js';
import type { Any, Json } from '../../xds/codec.js';
import { resourceName } from '../../xds/resource-name.js';
import { decodeWireResource } from '../../xds/wire/resource.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, VIRTUAL_HOST_TYPE, shortName } from '../../xds/type-urls.js';

/** A RouteConfiguration is compiled at validation time: a bad regex must NACK, not fail later. */
export interface CompiledRoutes {
  config: RouteConfiguration;
  /** The table requests use: the inline virtual hosts, plus the VHDS ones when the configuration has `vhds`. */
  table: RouteTable;
  /** Compiles VHDS virtual hosts under this configuration without recompiling it. */
  compiler: RouteTableCompiler;
}

export interface ValidatedResource<T> {
  name: string;
  /** Delta: the resource's own version (SotW resources take the response's version_info). */
  version?: string;
  /** The encoded resource: equal bytes = unchanged resource (keeps its version and last_updated). */
  bytes: Uint8Array;
  /** Decoded proto-JSON, for config_dump. */
  raw: Json;
  value: T;
}

export interface ResourceSpec<T> {
  typeUrl: string;
  validate(json: Json, name: string): Result<T>;
}

export const CLUSTERS: ResourceSpec<Cluster> = { typeUrl: CLUSTER_TYPE, validate: (j, n) => validateCluster(j, n) };
export const ENDPOINTS: ResourceSpec<ClusterLoadAssignment> = { typeUrl: ENDPOINT_TYPE, validate: (j, n) => validateClusterLoadAssignment(j, n) };
export const LISTENERS: ResourceSpec<Listener> = { typeUrl: LISTENER_TYPE, validate: (j, n) => validateListener(j, n) };
export const SECRETS: ResourceSpec<TlsSecret> = { typeUrl: SECRET_TYPE, validate: (j, n) => validateSecret(j, n) };

/** The secret names listeners' and clusters' TLS contexts take over ADS (the SDS subscription). */
export function sdsSecretNames(listeners: readonly Listener[], clusters: readonly Cluster[]): string[] {
  const out: string[] = [];
  for (const l of listeners) {
    for (const fc of l.default_filter_chain === undefined ? l.filter_chains : [...l.filter_chains, l.default_filter_chain]) {
      if (fc.transport_socket !== undefined) out.push(...sdsNames(fc.transport_socket.typed_config.common_tls_context));
    }
  }
  for (const c of clusters) {
    if (c.transport_socket !== undefined) out.push(...sdsNames(c.transport_socket.typed_config.common_tls_context));
    for (const tm of c.transport_socket_matches ?? []) if (tm.transport_socket !== undefined) out.push(...sdsNames(tm.transport_socket.typed_config.common_tls_context));
  }
  return out;
}

export function routesSpec(random?: () => number, runtime?: RuntimeSource): ResourceSpec<CompiledRoutes> {
  return {
    typeUrl: ROUTE_TYPE,
    validate: (j, n) => {
      const v = validateRouteConfiguration(j, n);
      if (!v.ok) return v;
      const c = tryRouteTableCompiler(v.value, { random, runtime });
      if (!c.ok) return { ok: false, errors: c.errors.map((e) => ({ path: e.path === '' ? n : `${n}.${e.path}`, message: e.message })) };
      return { ok: true, value: { config: v.value, table: c.value.table(), compiler: c.value } };
    },
  };
}

/** VHDS: validated like an inline virtual host; compiled later, under the route configuration it belongs to. */
export const VIRTUAL_HOSTS: ResourceSpec<VirtualHost> = { typeUrl: VIRTUAL_HOST_TYPE, validate: (j, n) => validateVirtualHostResource(j, n) };

/**
 * One resource of a response: SotW gives only the Any; delta adds the resource's name and version. A file source
 * gives the resource as proto-JSON with its '@type' instead (validated the same way, without protobuf).
 */
export type ResourceEntry = { any: Any; name?: string; version?: string } | { json: Json; name?: undefined; version?: undefined };

/** The resource's type URL, name (from the body) and proto-JSON, whichever way it arrived. */
function decodeEntry(e: ResourceEntry): { typeUrl: string; decode(): { name: string; json: Json }; bytes(): Uint8Array } {
  if ('any' in e) {
    return { typeUrl: e.any.type_url, decode: () => decodeWireResource(e.any), bytes: () => e.any.value };
  }
  const typeUrl = typeof e.json['@type'] === 'string' ? e.json['@type'] : '';
  return {
    typeUrl,
    decode: () => ({ name: resourceName(typeUrl, e.json), json: e.json }),
    // equal JSON text = unchanged resource (keeps its version and last_updated, as equal bytes do over gRPC)
    bytes: () => Buffer.from(JSON.stringify(e.json)),
  };
}

/**
 * Every resource of a response, or every error found in any of them (each path starts with the resource
 * name, or with `resources[i]` when the resource has none). One bad resource rejects the whole response:
 * the proxy keeps its last good config for that type, as the NACK says. A delta resource is keyed by its
 * DeltaResource name, which must be the resource's own name except for VHDS (`<route config>/<virtual host>`).
 */
export function validateResources<T>(spec: ResourceSpec<T>, entries: readonly ResourceEntry[]): Result<ValidatedResource<T>[]> {
  const errors: ConfigError[] = [];
  const out: ValidatedResource<T>[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const { name: given, version } = entry;
    const at = `resources[${i}]`;
    const src = decodeEntry(entry);
    if (src.typeUrl !== spec.typeUrl) {
      errors.push({ path: given || at, message: `${src.typeUrl || 'a resource without @type'} in a ${shortName(spec.typeUrl).toUpperCase()} response (expected ${spec.typeUrl})` });
      return;
    }
    let decoded: { name: string; json: Json };
    try {
      decoded = src.decode();
    } catch (e) {
      errors.push({ path: given || at, message: `cannot decode: ${(e as Error).message}` });
      return;
    }
    const name = given || decoded.name;
    if (name === '') {
      errors.push({ path: at, message: 'resource has no name' });
      return;
    }
    if (given && decoded.name !== given && spec.typeUrl !== VIRTUAL_HOST_TYPE) {
      errors.push({ path: name, message: `the resource is named "${decoded.name}" but was sent as "${given}"` });
      return;
    }
    if (seen.has(name)) {
      errors.push({ path: name, message: `duplicate resource name in one response (${at})` });
      return;
    }
    seen.add(name);
    const v = spec.validate(decoded.json, name);
    if (!v.ok) errors.push(...v.errors);
    else out.push({ name, ...(version !== undefined ? { version } : {}), bytes: src.bytes(), raw: decoded.json, value: v.value });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}

/** Envoy refuses CDS/LDS resources that would replace a static one ("… is a static cluster and cannot be updated"). */
export function checkNotStatic(names: readonly string[], statics: ReadonlySet<string>, what: string): ConfigError[] {
  return names.filter((n) => statics.has(n)).map((n) => ({ path: n, message: `${what} ${n} is static (bootstrap) and cannot be added or updated by xDS` }));
}

/** Two listeners on one address cannot both bind: Envoy rejects the update naming both. */
export function checkListenerAddresses(dynamic: readonly Listener[], statics: readonly Listener[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const owner = new Map<string, string>();
  for (const l of [...statics, ...dynamic]) {
    const a = l.address.socket_address;
    if (a.port_value === 0) continue; // port 0 binds a fresh port each time
    const key = `${a.protocol} ${a.address}:${a.port_value}`;
    const first = owner.get(key);
    if (first !== undefined) errors.push({ path: `${l.name}.address`, message: `${key} is also the address of listener ${first}` });
    else owner.set(key, l.name);
  }
  return errors;
}

/** The EDS resource name of an EDS cluster (Envoy: eds_cluster_config.service_name, else the cluster name). */
export function edsName(c: Cluster): string | undefined {
  if (c.type !== 'EDS') return undefined;
  const s = c.eds_cluster_config?.service_name;
  return s !== undefined && s !== '' ? s : c.name;
}

/** route_config_name of every HCM with `rds` in these listeners. */
export function rdsNames(listeners: readonly Listener[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>(); // name -> HCM stat prefixes (for http.<prefix>.rds.<name>.* stats)
  for (const l of listeners) {
    const chains = l.default_filter_chain === undefined ? l.filter_chains : [...l.filter_chains, l.default_filter_chain];
    for (const ch of chains) {
      for (const f of ch.filters) {
        const tc = f.typed_config;
        if (!('route_specifier' in tc) || tc.route_specifier.kind !== 'rds') continue;
        const n = tc.route_specifier.route_config_name;
        let s = out.get(n);
        if (s === undefined) out.set(n, (s = new Set()));
        s.add(tc.stat_prefix);
      }
    }
  }
  return out;
}
