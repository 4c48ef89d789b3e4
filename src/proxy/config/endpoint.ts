// Config stage: validates a ClusterLoadAssignment (localities, priorities, endpoints, weights, drop overloads).
import type { ClusterLoadAssignment, LbEndpoint, LocalityLbEndpoints } from './types.js';
import { Ctx, Msg } from './reader.js';
import { validateAddress, validateFractionalPercent, validateLocality } from './common.js';

const HEALTH = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'] as const;

function validateLbEndpoint(ctx: Ctx, raw: unknown, path: string): LbEndpoint | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.endpoint.v3.LbEndpoint',
    fields: ['endpoint', 'health_status', 'metadata', 'load_balancing_weight'],
  });
  if (m === undefined) return undefined;
  if (!m.require('endpoint')) return undefined;
  const ep = m.msg('endpoint', (r, p) => {
    const e = Msg.open(ctx, r, p, { type: 'config.endpoint.v3.Endpoint', fields: ['address', 'health_check_config', 'hostname'] });
    if (e === undefined) return undefined;
    if (!e.require('address')) return undefined;
    const address = e.msg('address', (ar, ap) => validateAddress(ctx, ar, ap));
    if (address === undefined) return undefined;
    const out: LbEndpoint['endpoint'] = { address };
    const hn = e.str('hostname');
    if (hn !== undefined) out.hostname = hn;
    const hc = e.msg('health_check_config', (hr, hp) => {
      const h = Msg.open(ctx, hr, hp, { type: 'config.endpoint.v3.Endpoint.HealthCheckConfig', fields: ['port_value', 'hostname'] });
      if (h === undefined) return undefined;
      const v: NonNullable<LbEndpoint['endpoint']['health_check_config']> = {};
      const pv = h.port('port_value');
      if (pv !== undefined) v.port_value = pv;
      const hh = h.str('hostname');
      if (hh !== undefined) v.hostname = hh;
      return v;
    });
    if (hc !== undefined) out.health_check_config = hc;
    return out;
  });
  if (ep === undefined) return undefined;
  const out: LbEndpoint = {
    endpoint: ep,
    health_status: m.enumOr('health_status', HEALTH, 'UNKNOWN'),
    load_balancing_weight: m.numOr('load_balancing_weight', 1, { int: true, min: 1 }),
  };
  const md = m.struct('metadata');
  if (md !== undefined) out.metadata = md;
  return out;
}

function validateLocalityEndpoints(ctx: Ctx, raw: unknown, path: string): LocalityLbEndpoints | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.endpoint.v3.LocalityLbEndpoints',
    fields: ['locality', 'lb_endpoints', 'load_balancing_weight', 'priority'],
    ignored: ['metadata'],
  });
  if (m === undefined) return undefined;
  const out: LocalityLbEndpoints = {
    lb_endpoints: m.list('lb_endpoints', (r, p) => validateLbEndpoint(ctx, r, p)),
    priority: m.numOr('priority', 0, { int: true, min: 0 }),
  };
  const loc = m.msg('locality', (r, p) => validateLocality(ctx, r, p));
  if (loc !== undefined) out.locality = loc;
  const w = m.num('load_balancing_weight', { int: true, min: 1 });
  if (w !== undefined) out.load_balancing_weight = w;
  return out;
}

/** Validates a CLA; `defaultName` fills cluster_name for one embedded in a cluster. */
export function clusterLoadAssignment(ctx: Ctx, raw: unknown, path: string, defaultName?: string): ClusterLoadAssignment | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.endpoint.v3.ClusterLoadAssignment', fields: ['cluster_name', 'endpoints', 'policy'] });
  if (m === undefined) return undefined;
  const name = defaultName !== undefined ? m.strOr('cluster_name', defaultName) : m.reqStr('cluster_name');
  const endpoints = m.list('endpoints', (r, p) => validateLocalityEndpoints(ctx, r, p));
  // Envoy: priorities must be contiguous from 0
  const prios = [...new Set(endpoints.map((e) => e.priority))].sort((a, b) => a - b);
  prios.forEach((p, i) => {
    if (p !== i) ctx.err(m.at('endpoints'), `priorities must be contiguous starting at 0; found ${prios.join(', ')}`);
  });
  const policy: ClusterLoadAssignment['policy'] = { overprovisioning_factor: 140, drop_overloads: [] };
  m.msg('policy', (r, p) => {
    const pm = Msg.open(ctx, r, p, { type: 'config.endpoint.v3.ClusterLoadAssignment.Policy', fields: ['drop_overloads', 'overprovisioning_factor'] });
    if (pm === undefined) return undefined;
    policy.overprovisioning_factor = pm.numOr('overprovisioning_factor', 140, { int: true, min: 1 });
    policy.drop_overloads = pm.list('drop_overloads', (dr, dp) => {
      const d = Msg.open(ctx, dr, dp, { type: 'config.endpoint.v3.ClusterLoadAssignment.Policy.DropOverload', fields: ['category', 'drop_percentage'] });
      if (d === undefined) return undefined;
      const category = d.reqStr('category');
      const fraction = d.msg('drop_percentage', (fr, fp) => validateFractionalPercent(ctx, fr, fp)) ?? 0;
      return { category, fraction };
    });
    return undefined;
  });
  return { cluster_name: name, endpoints, policy };
}
