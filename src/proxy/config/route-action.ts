// Config stage: validates a route's `route:` action (cluster choice, rewrites, timeouts, retries, hashing, mirroring).
import type { ClusterWeight, HashPolicy, RequestMirrorPolicy, RouteAction, WeightedCluster } from './types.js';
import { Ctx, Msg } from './reader.js';
import { HEADER_EDIT_FIELDS, headerEdits, headerName, validateRuntimeFraction } from './common.js';
import { validateRegexRewrite } from './matchers.js';
import { validateRetryPolicy } from './retry-policy.js';
import { validateRateLimit } from './rate-limit.js';

/** A cluster name a route refers to, with where, for the bootstrap's "cluster exists" check. */
export interface ClusterRef {
  name: string;
  path: string;
}

export function validateHashPolicy(ctx: Ctx, raw: unknown, path: string): HashPolicy | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.RouteAction.HashPolicy',
    fields: ['header', 'cookie', 'connection_properties', 'query_parameter', 'filter_state', 'terminal'],
  });
  if (m === undefined) return undefined;
  const terminal = m.boolOr('terminal', false);
  const which = m.oneof(['header', 'cookie', 'connection_properties', 'query_parameter', 'filter_state'], true);
  const sub = (type: string, fields: string[]): Msg | undefined =>
    which === undefined ? undefined : Msg.open(ctx, m.raw(which), m.at(which), { type: `config.route.v3.RouteAction.HashPolicy.${type}`, fields });
  let policy: HashPolicy['policy'] | undefined;
  switch (which) {
    case 'header': {
      const h = sub('Header', ['header_name']);
      if (h?.require('header_name') === true) {
        const n = headerName(ctx, h.raw('header_name'), h.at('header_name'));
        if (n !== undefined) policy = { kind: 'header', header_name: n };
      }
      break;
    }
    case 'cookie': {
      const c = sub('Cookie', ['name', 'ttl', 'path']);
      if (c === undefined) break;
      const p: HashPolicy['policy'] = { kind: 'cookie', name: c.reqStr('name') };
      const ttl = c.dur('ttl');
      if (ttl !== undefined) p.ttl = ttl;
      const cp = c.str('path');
      if (cp !== undefined) p.path = cp;
      policy = p;
      break;
    }
    case 'connection_properties': {
      const c = sub('ConnectionProperties', ['source_ip']);
      if (c !== undefined) policy = { kind: 'connection_properties', source_ip: c.boolOr('source_ip', false) };
      break;
    }
    case 'query_parameter': {
      const q = sub('QueryParameter', ['name']);
      if (q !== undefined) policy = { kind: 'query_parameter', name: q.reqStr('name') };
      break;
    }
    case 'filter_state': {
      const f = sub('FilterState', ['key']);
      if (f !== undefined) policy = { kind: 'filter_state', key: f.reqStr('key') };
      break;
    }
  }
  return policy === undefined ? undefined : { policy, terminal };
}

function validateMirror(ctx: Ctx, raw: unknown, path: string, refs: ClusterRef[]): RequestMirrorPolicy | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.RouteAction.RequestMirrorPolicy',
    fields: ['cluster', 'cluster_header', 'runtime_fraction', 'trace_sampled', 'disable_shadow_host_suffix_append'],
  });
  if (m === undefined) return undefined;
  const which = m.oneof(['cluster', 'cluster_header'], true);
  const cluster = which === 'cluster' ? m.reqStr('cluster') : '';
  if (cluster !== '') refs.push({ name: cluster, path: m.at('cluster') });
  const out: RequestMirrorPolicy = { cluster };
  if (which === 'cluster_header') {
    const h = headerName(ctx, m.raw('cluster_header'), m.at('cluster_header'));
    if (h !== undefined && h.startsWith(':')) m.err('cluster_header', 'must be a regular header, not a pseudo-header');
    else if (h !== undefined) out.cluster_header = h;
  }
  if (m.boolOr('disable_shadow_host_suffix_append', false)) out.disable_shadow_host_suffix_append = true;
  const rf = m.msg('runtime_fraction', (r, p) => validateRuntimeFraction(ctx, r, p));
  if (rf !== undefined) out.runtime_fraction = rf;
  const ts = m.bool('trace_sampled');
  if (ts !== undefined) out.trace_sampled = ts;
  return out;
}

function validateClusterWeight(ctx: Ctx, raw: unknown, path: string, refs: ClusterRef[]): ClusterWeight | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.WeightedCluster.ClusterWeight',
    fields: ['name', 'weight', ...HEADER_EDIT_FIELDS, 'host_rewrite_literal'],
  });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  if (name !== '') refs.push({ name, path: m.at('name') });
  // Envoy treats an unset weight as 0; a split needs a positive sum, checked by the caller
  const out: ClusterWeight = { name, weight: m.numOr('weight', 0, { int: true, min: 0 }), ...headerEdits(m) };
  const hr = m.str('host_rewrite_literal');
  if (hr !== undefined) out.host_rewrite_literal = hr;
  return out;
}

function validateWeightedClusters(ctx: Ctx, raw: unknown, path: string, refs: ClusterRef[]): WeightedCluster | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.WeightedCluster', fields: ['clusters', 'total_weight'] });
  if (m === undefined) return undefined;
  if (!m.require('clusters')) return undefined;
  const clusters = m.list('clusters', (r, p) => validateClusterWeight(ctx, r, p, refs));
  const sum = clusters.reduce((s, c) => s + c.weight, 0);
  // with an entry already rejected, the count and the sum are of what is left: checking them repeats that error
  const complete = !ctx.failedBelow(m.at('clusters'));
  if (complete && clusters.length === 0) m.err('clusters', 'must list at least one cluster');
  else if (complete && sum <= 0) m.err('clusters', 'the sum of cluster weights must be greater than 0');
  const out: WeightedCluster = { clusters };
  const total = m.num('total_weight', { int: true, min: 1 });
  if (total !== undefined && complete) {
    if (total !== sum) m.err('total_weight', `total_weight ${total} does not equal the sum of cluster weights (${sum})`);
    out.total_weight = total;
  }
  return out;
}

function validateUpgradeConfig(ctx: Ctx, raw: unknown, path: string): RouteAction['upgrade_configs'][number] | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.RouteAction.UpgradeConfig', fields: ['upgrade_type', 'enabled', 'connect_config'] });
  if (m === undefined) return undefined;
  const out: RouteAction['upgrade_configs'][number] = { upgrade_type: m.reqStr('upgrade_type').toLowerCase(), enabled: m.boolOr('enabled', true) };
  if (m.has('connect_config')) {
    // proxy_protocol_config and allow_post (POST tunnels) are not implemented: rejected by name
    const c = Msg.open(ctx, m.raw('connect_config'), m.at('connect_config'), { type: 'config.route.v3.RouteAction.UpgradeConfig.ConnectConfig', fields: [] });
    if (out.upgrade_type !== 'connect') m.err('connect_config', `only applies to upgrade_type CONNECT, not ${out.upgrade_type}`);
    else if (c !== undefined) out.connect_config = {};
  }
  return out;
}

export function validateRouteAction(ctx: Ctx, raw: unknown, path: string, refs: ClusterRef[]): RouteAction | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.RouteAction',
    fields: [
      'cluster',
      'cluster_header',
      'weighted_clusters',
      'prefix_rewrite',
      'regex_rewrite',
      'host_rewrite_literal',
      'auto_host_rewrite',
      'host_rewrite_header',
      'host_rewrite_path_regex',
      'timeout',
      'idle_timeout',
      'retry_policy',
      'request_mirror_policies',
      'hash_policy',
      'upgrade_configs',
      'max_stream_duration',
      'rate_limits',
    ],
  });
  if (m === undefined) return undefined;
  let spec: RouteAction['cluster_specifier'] | undefined;
  switch (m.oneof(['cluster', 'cluster_header', 'weighted_clusters'], true)) {
    case 'cluster': {
      const name = m.reqStr('cluster');
      if (name !== '') refs.push({ name, path: m.at('cluster') });
      spec = { kind: 'cluster', name };
      break;
    }
    case 'cluster_header': {
      const h = headerName(ctx, m.raw('cluster_header'), m.at('cluster_header'));
      if (h !== undefined) spec = { kind: 'cluster_header', header: h };
      break;
    }
    case 'weighted_clusters': {
      const w = m.msg('weighted_clusters', (r, p) => validateWeightedClusters(ctx, r, p, refs));
      if (w !== undefined) spec = { kind: 'weighted_clusters', weighted: w };
      break;
    }
  }
  const out: RouteAction = {
    cluster_specifier: spec ?? { kind: 'cluster', name: '' },
    timeout: m.durOr('timeout', 15000),
    request_mirror_policies: m.list('request_mirror_policies', (r, p) => validateMirror(ctx, r, p, refs)),
    hash_policy: m.list('hash_policy', (r, p) => validateHashPolicy(ctx, r, p)),
    upgrade_configs: m.list('upgrade_configs', (r, p) => validateUpgradeConfig(ctx, r, p)),
  };
  if (m.oneof(['prefix_rewrite', 'regex_rewrite'], false) !== undefined) {
    const pr = m.str('prefix_rewrite');
    if (pr !== undefined) out.prefix_rewrite = pr;
    const rr = m.msg('regex_rewrite', (r, p) => validateRegexRewrite(ctx, r, p));
    if (rr !== undefined) out.regex_rewrite = rr;
  }
  switch (m.oneof(['host_rewrite_literal', 'auto_host_rewrite', 'host_rewrite_header', 'host_rewrite_path_regex'], false)) {
    case 'host_rewrite_literal':
      out.host_rewrite = { kind: 'literal', value: m.reqStr('host_rewrite_literal') };
      break;
    case 'auto_host_rewrite':
      if (m.boolOr('auto_host_rewrite', false)) out.host_rewrite = { kind: 'auto' };
      break;
    case 'host_rewrite_header': {
      const h = headerName(ctx, m.raw('host_rewrite_header'), m.at('host_rewrite_header'));
      if (h !== undefined) out.host_rewrite = { kind: 'header', header: h };
      break;
    }
    case 'host_rewrite_path_regex': {
      const rr = m.msg('host_rewrite_path_regex', (r, p) => validateRegexRewrite(ctx, r, p));
      if (rr !== undefined) out.host_rewrite = { kind: 'path_regex', pattern: rr.pattern, substitution: rr.substitution };
      break;
    }
  }
  const idle = m.dur('idle_timeout');
  if (idle !== undefined) out.idle_timeout = idle;
  const rp = m.msg('retry_policy', (r, p) => validateRetryPolicy(ctx, r, p));
  if (rp !== undefined) out.retry_policy = rp;
  const msd = m.msg('max_stream_duration', (r, p) => {
    const d = Msg.open(ctx, r, p, {
      type: 'config.route.v3.RouteAction.MaxStreamDuration',
      fields: ['max_stream_duration', 'grpc_timeout_header_max'],
    });
    if (d === undefined) return undefined;
    const v: NonNullable<RouteAction['max_stream_duration']> = {};
    const a = d.dur('max_stream_duration');
    if (a !== undefined) v.max_stream_duration = a;
    const b = d.dur('grpc_timeout_header_max');
    if (b !== undefined) v.grpc_timeout_header_max = b;
    return v;
  });
  if (msd !== undefined) out.max_stream_duration = msd;
  if (m.has('rate_limits')) out.rate_limits = m.list('rate_limits', (r, p) => validateRateLimit(ctx, r, p));
  return out;
}
