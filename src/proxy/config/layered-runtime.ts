// Config stage: validates bootstrap layered_runtime (static, disk and admin layers) and translates the deprecated `runtime`.
import { isAbsolute, resolve } from 'node:path';
import type { LayeredRuntime, RuntimeLayer, RuntimeStaticValue } from './types.js';
import { Ctx, Msg, describe, isObj, join } from './reader.js';

/** A Struct node that is one runtime value: an empty object or one with FractionalPercent fields, as Envoy reads it. */
function isFractionLeaf(v: Record<string, unknown>): boolean {
  return Object.keys(v).length === 0 || 'numerator' in v || 'denominator' in v;
}

/** Flattens a static layer Struct to dotted keys; lists and nulls are no runtime value (Envoy refuses them too). */
export function flattenStaticLayer(ctx: Ctx, struct: Record<string, unknown>, path: string): Record<string, RuntimeStaticValue> {
  const out: Record<string, RuntimeStaticValue> = {};
  const walk = (v: unknown, key: string, at: string): void => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (isObj(v) && isFractionLeaf(v)) out[key] = v as RuntimeStaticValue;
    else if (isObj(v)) for (const [k, inner] of Object.entries(v)) walk(inner, `${key}.${k}`, join(at, k));
    else ctx.err(at, `invalid runtime value for "${key}": expected a string, number, boolean or object, got ${describe(v)}`);
  };
  for (const [k, v] of Object.entries(struct)) walk(v, k, join(path, k));
  return out;
}

function diskLayer(ctx: Ctx, raw: unknown, path: string): RuntimeLayer['layer_specifier'] | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.bootstrap.v3.RuntimeLayer.DiskLayer', fields: ['symlink_root', 'subdirectory', 'append_service_cluster'] });
  if (m === undefined) return undefined;
  const root = m.reqStr('symlink_root');
  return {
    kind: 'disk_layer',
    disk_layer: {
      // relative roots resolve against the bootstrap's directory, like `filename:` data sources
      symlink_root: root === '' || isAbsolute(root) || ctx.baseDir === undefined ? root : resolve(ctx.baseDir, root),
      subdirectory: m.strOr('subdirectory', ''),
      append_service_cluster: m.boolOr('append_service_cluster', false),
    },
  };
}

function layer(ctx: Ctx, raw: unknown, path: string): RuntimeLayer | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.bootstrap.v3.RuntimeLayer', fields: ['name', 'static_layer', 'disk_layer', 'admin_layer', 'rtds_layer'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  const which = m.oneof(['static_layer', 'disk_layer', 'admin_layer', 'rtds_layer'], true);
  switch (which) {
    case 'static_layer': {
      const struct = m.struct('static_layer');
      if (struct === undefined) return undefined;
      return { name, layer_specifier: { kind: 'static_layer', static_layer: struct, values: flattenStaticLayer(ctx, struct, m.at('static_layer')) } };
    }
    case 'disk_layer': {
      const spec = m.msg('disk_layer', (r, p) => diskLayer(ctx, r, p));
      return spec === undefined ? undefined : { name, layer_specifier: spec };
    }
    case 'admin_layer':
      Msg.open(ctx, m.raw('admin_layer'), m.at('admin_layer'), { type: 'config.bootstrap.v3.RuntimeLayer.AdminLayer', fields: [] });
      return { name, layer_specifier: { kind: 'admin_layer' } };
    case 'rtds_layer':
      m.err('rtds_layer', 'rtds_layer is not supported by trellis (no runtime discovery service); use a disk_layer or the admin layer');
      return undefined;
    default:
      return undefined;
  }
}

/** bootstrap.layered_runtime. An empty layer list gets one admin layer, as in Envoy. */
export function validateLayeredRuntime(ctx: Ctx, raw: unknown, path: string): LayeredRuntime | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.bootstrap.v3.LayeredRuntime', fields: ['layers'] });
  if (m === undefined) return undefined;
  const layers = m.list('layers', (r, p) => layer(ctx, r, p));
  const seen = new Map<string, number>();
  let admin = -1;
  (m.rawList('layers') ?? []).forEach((r, i) => {
    const at = `${m.at('layers')}[${i}]`;
    const name = isObj(r) && typeof r.name === 'string' ? r.name : undefined;
    if (name !== undefined && name !== '') {
      const first = seen.get(name);
      if (first !== undefined) ctx.err(join(at, 'name'), `duplicate layer name "${name}" (also layers[${first}])`);
      else seen.set(name, i);
    }
    if (isObj(r) && (r.admin_layer !== undefined || r.adminLayer !== undefined)) {
      if (admin >= 0) ctx.err(join(at, 'admin_layer'), `at most one admin_layer may be given (also layers[${admin}])`);
      else admin = i;
    }
  });
  if (layers.length === 0 && !ctx.failedBelow(m.at('layers'))) return { layers: [{ name: '', layer_specifier: { kind: 'admin_layer' } }] };
  return { layers };
}

/**
 * The deprecated bootstrap `runtime` (Envoy v2, and v3 before it was removed): Envoy's fixed layering
 * base (static) → root (disk) → override (disk, per service cluster) → admin.
 */
export function validateDeprecatedRuntime(ctx: Ctx, raw: unknown, path: string): LayeredRuntime | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.bootstrap.v3.Runtime', fields: ['symlink_root', 'subdirectory', 'override_subdirectory', 'base'] });
  if (m === undefined) return undefined;
  const base = m.struct('base') ?? {};
  const layers: RuntimeLayer[] = [{ name: 'base', layer_specifier: { kind: 'static_layer', static_layer: base, values: flattenStaticLayer(ctx, base, m.at('base')) } }];
  const rootRaw = m.strOr('symlink_root', '');
  const root = rootRaw === '' || isAbsolute(rootRaw) || ctx.baseDir === undefined ? rootRaw : resolve(ctx.baseDir, rootRaw);
  if (root !== '') {
    layers.push({ name: 'root', layer_specifier: { kind: 'disk_layer', disk_layer: { symlink_root: root, subdirectory: m.strOr('subdirectory', ''), append_service_cluster: false } } });
    const override = m.strOr('override_subdirectory', '');
    if (override !== '') {
      layers.push({ name: 'override', layer_specifier: { kind: 'disk_layer', disk_layer: { symlink_root: root, subdirectory: override, append_service_cluster: true } } });
    }
  }
  layers.push({ name: 'admin', layer_specifier: { kind: 'admin_layer' } });
  return { layers };
}
