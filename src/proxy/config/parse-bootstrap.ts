// Config stage: turns a raw Envoy v3 bootstrap document into the validated Bootstrap model, with cross-resource checks.
import { validateBootstrapTracing } from './tracing.js';
import type { Result } from '../../common/result.js';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Admin, Bootstrap, Cluster, Listener, XdsConfigSource } from './types.js';
import { Ctx, Msg } from './reader.js';
import { validateAddress, validateNode } from './common.js';
import { DEFAULT_ACCESS_LOG_FORMAT, validateAccessLog } from './access-log.js';
import { listener } from './listener.js';
import { cluster } from './cluster.js';
import { inlineStaticSecrets } from './static-secrets.js';
import { secret } from './tls.js';
import { type Refs, newRefs } from './refs.js';
import { accessLogClusterRefs } from './access-log-clusters.js';
import { validateDeprecatedRuntime, validateLayeredRuntime } from './layered-runtime.js';

type Dynamic = NonNullable<Bootstrap['dynamic_resources']>;

function admin(ctx: Ctx, raw: unknown, path: string): Admin | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.bootstrap.v3.Admin',
    fields: ['access_log', 'access_log_path', 'address'],
    ignored: ['profile_path', 'ignore_global_conn_limit'], // CPU profiler output; connection accounting
  });
  if (m === undefined) return undefined;
  const out: Admin = { access_log: m.list('access_log', (r, p) => validateAccessLog(ctx, r, p, { extensions: false })) };
  // deprecated access_log_path: a file logger with the default format
  const alp = m.str('access_log_path');
  if (alp !== undefined && alp !== '') {
    if (out.access_log.length > 0) m.err('access_log_path', 'cannot be combined with access_log');
    out.access_log.push({ name: 'envoy.access_loggers.file', sink: { kind: 'file', path: alp }, format: { kind: 'text', text: DEFAULT_ACCESS_LOG_FORMAT } });
  }
  const addr = m.msg('address', (r, p) => validateAddress(ctx, r, p));
  if (addr !== undefined) out.address = addr;
  return out;
}

/** A file a config source reads: it must exist at load (as in Envoy); relative paths resolve against the bootstrap. */
function sourceFile(ctx: Ctx, raw: unknown, path: string, what: 'file' | 'directory'): string | undefined {
  if (typeof raw !== 'string' || raw === '') {
    ctx.err(path, `expected a non-empty path, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const full = ctx.baseDir !== undefined ? resolve(ctx.baseDir, raw) : resolve(raw);
  try {
    const st = statSync(full);
    if (what === 'directory' ? !st.isDirectory() : st.isDirectory()) throw Object.assign(new Error(), { code: what === 'directory' ? 'ENOTDIR' : 'EISDIR' });
  } catch (e) {
    ctx.err(path, `cannot use ${what} "${full}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return undefined;
  }
  return full;
}

/** lds_config / cds_config: ADS, a watched file (path or path_config_source), or the type's own gRPC service. */
function xdsConfigSource(ctx: Ctx, raw: unknown, path: string): XdsConfigSource | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.ConfigSource',
    fields: ['ads', 'path', 'path_config_source', 'api_config_source', 'resource_api_version'],
    ignored: ['initial_fetch_timeout'],
  });
  if (m === undefined) return undefined;
  m.enumOr('resource_api_version', ['V3'], 'V3');
  switch (m.oneof(['ads', 'path', 'path_config_source', 'api_config_source'], true, undefined)) {
    case 'ads':
      Msg.open(ctx, m.raw('ads'), m.at('ads'), { type: 'config.core.v3.AggregatedConfigSource', fields: [] });
      return { ads: true };
    case 'path': {
      const file = sourceFile(ctx, m.raw('path'), m.at('path'), 'file');
      return file === undefined ? undefined : { path: file };
    }
    case 'path_config_source':
      return m.msg('path_config_source', (r, p) => {
        const pc = Msg.open(ctx, r, p, { type: 'config.core.v3.PathConfigSource', fields: ['path', 'watched_directory'] });
        if (pc === undefined || !pc.require('path')) return undefined;
        const file = sourceFile(ctx, pc.raw('path'), pc.at('path'), 'file');
        const dir = pc.msg('watched_directory', (wr, wp) => {
          const wd = Msg.open(ctx, wr, wp, { type: 'config.core.v3.WatchedDirectory', fields: ['path'] });
          return wd?.require('path') === true ? sourceFile(ctx, wd.raw('path'), wd.at('path'), 'directory') : undefined;
        });
        if (file === undefined || (pc.has('watched_directory') && dir === undefined)) return undefined;
        return dir === undefined ? { path: file } : { path: file, watched_directory: dir };
      });
    case 'api_config_source': {
      const api = m.msg('api_config_source', (r, p) => adsConfig(ctx, r, p, 'api_config_source'));
      return api === undefined ? undefined : { api_config_source: api };
    }
    default:
      return undefined;
  }
}

/** An ApiConfigSource over gRPC to one static cluster (ads_config, and cluster_manager.load_stats_config). */
function adsConfig(ctx: Ctx, raw: unknown, path: string, what = 'ads_config'): Dynamic['ads_config'] {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.ApiConfigSource',
    fields: ['api_type', 'transport_api_version', 'grpc_services'],
    ignored: ['set_node_on_first_message_only', 'refresh_delay', 'request_timeout'],
  });
  if (m === undefined) return undefined;
  const apiType = m.enumOpt('api_type', ['GRPC', 'DELTA_GRPC']) ?? (m.has('api_type') ? 'GRPC' : undefined);
  if (!m.has('api_type')) m.err('api_type', 'is required (GRPC or DELTA_GRPC)');
  const version = m.enumOr('transport_api_version', ['V3'], 'V3');
  const clusters = m.list('grpc_services', (r, p) => {
    const g = Msg.open(ctx, r, p, { type: 'config.core.v3.GrpcService', fields: ['envoy_grpc'], ignored: ['timeout', 'initial_metadata'] });
    if (g === undefined || !g.require('envoy_grpc')) return undefined;
    return g.msg('envoy_grpc', (er, ep) => {
      const e = Msg.open(ctx, er, ep, { type: 'config.core.v3.GrpcService.EnvoyGrpc', fields: ['cluster_name'], ignored: ['authority', 'max_receive_message_length'] });
      return e?.reqStr('cluster_name');
    });
  });
  if (clusters.length !== 1) {
    m.err('grpc_services', `${what} needs exactly one grpc_services entry with envoy_grpc.cluster_name (found ${clusters.length})`);
    return undefined;
  }
  return apiType === undefined ? undefined : { api_type: apiType, cluster_name: clusters[0], transport_api_version: version };
}

function dynamicResources(ctx: Ctx, raw: unknown, path: string): Dynamic | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.bootstrap.v3.Bootstrap.DynamicResources', fields: ['ads_config', 'lds_config', 'cds_config'] });
  if (m === undefined) return undefined;
  const out: Dynamic = {};
  const ads = m.msg('ads_config', (r, p) => adsConfig(ctx, r, p));
  if (ads !== undefined) out.ads_config = ads;
  const lds = m.msg('lds_config', (r, p) => xdsConfigSource(ctx, r, p));
  if (lds !== undefined) out.lds_config = lds;
  const cds = m.msg('cds_config', (r, p) => xdsConfigSource(ctx, r, p));
  if (cds !== undefined) out.cds_config = cds;
  const overAds = [['lds_config', lds], ['cds_config', cds]].filter(([, s]) => s !== undefined && typeof s === 'object' && 'ads' in s).map(([n]) => n);
  if (overAds.length > 0 && !m.has('ads_config')) m.err('ads_config', `${overAds.join(' and ')} ${overAds.length > 1 ? 'use' : 'uses'} ads, so ads_config is required`);
  return out;
}

/**
 * cluster_manager: load_stats_config is validated (its cluster must be static) but no load reports are sent;
 * local_cluster_name (zone-aware routing) and upstream_bind_config change where traffic goes, so they are rejected.
 */
function clusterManager(ctx: Ctx, raw: unknown, path: string): Bootstrap['cluster_manager'] {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.bootstrap.v3.ClusterManager',
    fields: ['load_stats_config'],
    ignored: ['outlier_detection', 'enable_deferred_cluster_creation'], // ejection event log; lazy cluster creation
  });
  if (m === undefined) return undefined;
  const lrs = m.msg('load_stats_config', (r, p) => adsConfig(ctx, r, p, 'load_stats_config'));
  return lrs === undefined ? {} : { load_stats_config: { api_type: lrs.api_type, cluster_name: lrs.cluster_name } };
}

function uniqueNames<T>(ctx: Ctx, items: T[], path: string, what: string, keyOf: (t: T) => string, field: string): void {
  const seen = new Map<string, number>();
  items.forEach((t, i) => {
    const k = keyOf(t);
    if (k === '') return;
    const first = seen.get(k);
    if (first !== undefined) ctx.err(`${path}[${i}].${field}`, `duplicate ${what} ${k} (also ${path}[${first}])`);
    else seen.set(k, i);
  });
}

/** Envoy's bootstrap-time checks that span resources. */
function crossCheck(ctx: Ctx, b: Bootstrap, refs: Refs, rawClusterCount: number): void {
  const { listeners, clusters, secrets } = b.static_resources;
  uniqueNames<Listener>(ctx, listeners, 'static_resources.listeners', 'listener name', (l) => l.name, 'name');
  uniqueNames<Listener>(ctx, listeners, 'static_resources.listeners', 'listener address', (l) => {
    const a = l.address.socket_address;
    return a.address === '' || a.port_value === 0 ? '' : `${a.protocol} ${a.address}:${a.port_value}`;
  }, 'address');
  uniqueNames<Cluster>(ctx, clusters, 'static_resources.clusters', 'cluster name', (c) => c.name, 'name');
  uniqueNames(ctx, secrets, 'static_resources.secrets', 'secret name', (s) => s.name, 'name');
  const clusterNames = new Set(clusters.map((c) => c.name).filter((n) => n !== ''));
  // a cluster whose name could not be read may be the one a route names: its own error says enough
  const unnamed = clusters.filter((c) => c.name !== '').length < rawClusterCount;
  // with CDS, clusters arrive later, so Envoy cannot (and we do not) check route targets at load
  if (b.dynamic_resources?.cds_config === undefined && !unnamed) {
    // one missing cluster is one error, at its first reference, however many routes name it
    const missing = new Map<string, string[]>();
    for (const rc of refs.inlineRoutes) {
      if (!rc.validateClusters) continue;
      for (const r of rc.refs) if (!clusterNames.has(r.name)) missing.set(r.name, [...(missing.get(r.name) ?? []), r.path]);
    }
    const known = [...clusterNames].join(', ') || '(none)';
    for (const [name, paths] of missing) {
      const more = paths.length > 1 ? ` (also referenced ${paths.length - 1} more time${paths.length > 2 ? 's' : ''})` : '';
      ctx.err(paths[0], `unknown cluster "${name}"; static clusters are: ${known}${more}`);
    }
  }
  const secretNames = new Set(secrets.map((s) => s.name));
  for (const s of refs.secrets) {
    if (s.ads) {
      if (b.dynamic_resources?.ads_config === undefined) ctx.err(s.path, `secret "${s.name}" comes over ADS (sds_config {ads: {}}), but the bootstrap has no dynamic_resources.ads_config`);
    } else if (!secretNames.has(s.name)) ctx.err(s.path, `unknown secret "${s.name}"; without sds_config it must be one of static_resources.secrets`);
  }
  // Envoy checks a gRPC access logger's cluster when it builds the logger: a static listener's must be a static cluster
  listeners.forEach((l, i) => {
    for (const r of accessLogClusterRefs(l, `static_resources.listeners[${i}]`)) {
      if (r.cluster !== '' && !clusterNames.has(r.cluster) && !unnamed) ctx.err(r.path, `unknown cluster "${r.cluster}"; a gRPC access log service's cluster must be a static cluster`);
    }
  });
  const lrs = b.cluster_manager?.load_stats_config;
  if (lrs !== undefined && !clusterNames.has(lrs.cluster_name)) {
    ctx.err('cluster_manager.load_stats_config.grpc_services[0].envoy_grpc.cluster_name', `unknown cluster "${lrs.cluster_name}"; the load reporting cluster must be a static cluster`);
  }
  for (const type of ['lds_config', 'cds_config'] as const) {
    const src = b.dynamic_resources?.[type];
    if (src === undefined || !('api_config_source' in src) || clusterNames.has(src.api_config_source.cluster_name)) continue;
    ctx.err(`dynamic_resources.${type}.api_config_source.grpc_services[0].envoy_grpc.cluster_name`, `unknown cluster "${src.api_config_source.cluster_name}"; the ${type === 'lds_config' ? 'LDS' : 'CDS'} cluster must be a static cluster`);
  }
  const ads = b.dynamic_resources?.ads_config;
  if (ads !== undefined && !clusterNames.has(ads.cluster_name)) {
    ctx.err('dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name', `unknown cluster "${ads.cluster_name}"; the ADS cluster must be a static cluster`);
  }
  if (ads === undefined) {
    clusters.forEach((c, i) => {
      if (c.type === 'EDS') ctx.err(`static_resources.clusters[${i}].eds_cluster_config.eds_config`, 'EDS over ads needs dynamic_resources.ads_config');
    });
  }
}

/** Validates a whole bootstrap document; `baseDir` resolves relative `filename:` data sources. */
export function parseBootstrap(raw: unknown, opts: { baseDir: string }): Result<Bootstrap> {
  const ctx = new Ctx(opts.baseDir);
  const refs = newRefs();
  const m = Msg.open(ctx, raw, '', {
    type: 'config.bootstrap.v3.Bootstrap',
    // `runtime` was removed from the v3 API; older bootstraps still carry it, so it is read (and translated) by name
    fields: ['node', 'admin', 'static_resources', 'dynamic_resources', 'cluster_manager', 'stats_flush_interval', 'overload_manager', 'layered_runtime', 'runtime', 'tracing'],
    // stats, tracing, watchdog and logging settings: observability only
    ignored: [
      'stats_sinks', 'stats_config', 'stats_flush_on_admin', 'deferred_stat_options', 'stats_server_version_override', 'enable_dispatcher_stats',
      'watchdog', 'watchdogs', 'application_log_config', 'perf_tracing_file_path', 'fatal_actions',
    ],
  });
  const b: Bootstrap = { node: { id: '', cluster: '', metadata: {} }, static_resources: { listeners: [], clusters: [], secrets: [] } };
  if (m === undefined) return { ok: false, errors: ctx.errors.map((e) => ({ path: e.path || '(root)', message: e.message })) };
  let rawClusterCount = 0;
  if (m.has('node')) b.node = validateNode(ctx, m.raw('node'), m.at('node'));
  const tracing = m.msg('tracing', (r, p) => validateBootstrapTracing(ctx, r, p));
  if (tracing !== undefined) b.tracing = tracing;
  const ad = m.msg('admin', (r, p) => admin(ctx, r, p));
  if (ad !== undefined) b.admin = ad;
  m.msg('static_resources', (r, p) => {
    const s = Msg.open(ctx, r, p, { type: 'config.bootstrap.v3.Bootstrap.StaticResources', fields: ['listeners', 'clusters', 'secrets'] });
    if (s === undefined) return undefined;
    b.static_resources.listeners = s.list('listeners', (lr, lp) => listener(ctx, lr, lp, refs, false));
    b.static_resources.clusters = s.list('clusters', (cr, cp) => cluster(ctx, cr, cp, refs));
    rawClusterCount = s.rawList('clusters')?.length ?? 0;
    b.static_resources.secrets = s.list('secrets', (sr, sp) => secret(ctx, sr, sp));
    return undefined;
  });
  const cm = m.msg('cluster_manager', (r, p) => clusterManager(ctx, r, p));
  if (cm !== undefined) b.cluster_manager = cm;
  const dyn = m.msg('dynamic_resources', (r, p) => dynamicResources(ctx, r, p));
  if (dyn !== undefined) b.dynamic_resources = dyn;
  const sfi = m.dur('stats_flush_interval');
  if (sfi !== undefined) b.stats_flush_interval = sfi;
  // passed through unvalidated: no trellis component reads it yet
  if (m.has('overload_manager')) b.overload_manager = m.raw('overload_manager');
  const lr = m.msg('layered_runtime', (r, p) => validateLayeredRuntime(ctx, r, p));
  if (lr !== undefined) b.layered_runtime = lr;
  if (m.has('runtime')) {
    if (m.has('layered_runtime')) m.err('runtime', 'the deprecated runtime cannot be combined with layered_runtime; move it into layered_runtime layers');
    else {
      const old = m.msg('runtime', (r, p) => validateDeprecatedRuntime(ctx, r, p));
      if (old !== undefined) b.layered_runtime = old;
    }
  }
  crossCheck(ctx, b, refs, rawClusterCount);
  if (ctx.errors.length === 0) inlineStaticSecrets(ctx, b);
  return ctx.errors.length > 0 ? { ok: false, errors: ctx.errors } : { ok: true, value: b };
}
