// Translate tests: runs the rbac filters a listener carries through the proxy's own validator and RBAC engine, so a test asks
// "is this request allowed?" of the translated config without starting a process.
import assert from 'node:assert/strict';
import { Ctx } from '../../../src/proxy/config/reader.js';
import { validateHttpRbac } from '../../../src/proxy/http/filters/rbac/config.js';
import { validateNetworkRbac } from '../../../src/proxy/network/filters/rbac/config.js';
import { RbacEngine } from '../../../src/proxy/rbac/engine.js';
import type { RbacAttributes } from '../../../src/proxy/rbac/attributes.js';
import type { RbacConfig } from '../../../src/proxy/rbac/types.js';
import type { Json } from '../../../src/control/translate/generator.js';

export interface Req {
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  /** Peer certificate URI SAN (mTLS), e.g. spiffe://cluster.local/ns/default/sa/sleep. */
  peer?: string;
  sourceIp?: string;
  remoteIp?: string;
  port?: number;
  sni?: string;
  /** jwt_authn payload (what the filter would put under envoy.filters.http.jwt_authn.payload). */
  jwt?: Record<string, unknown>;
}

function attrs(r: Req, http: boolean): RbacAttributes {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  const out: RbacAttributes = {
    ...(http
      ? { request: { authority: r.host ?? 'svc', path: r.path ?? '/', method: r.method ?? 'GET', headers: { ...headers, ':authority': r.host ?? 'svc', ':path': r.path ?? '/', ':method': r.method ?? 'GET' }, scheme: 'http' as const } }
      : {}),
    sourceIp: r.sourceIp ?? '10.0.0.9',
    directRemoteIp: r.sourceIp ?? '10.0.0.9',
    remoteIp: r.remoteIp ?? r.sourceIp ?? '10.0.0.9',
    destinationIp: '10.0.0.1',
    destinationPort: r.port ?? 15006,
    ...(r.sni !== undefined ? { sni: r.sni } : {}),
    ...(r.peer !== undefined ? { tls: { peerUriSans: [r.peer] } } : {}),
    ...(r.jwt !== undefined ? { dynamicMetadata: { 'envoy.filters.http.jwt_authn': { payload: r.jwt } } } : {}),
  };
  return out;
}

function engine(rules: RbacConfig | undefined): RbacEngine | undefined {
  return rules === undefined ? undefined : RbacEngine.compileValidated(rules, 'rules');
}

/** The HCM http_filters of the first chain with an HCM. */
export function httpFiltersOf(listener: Json): Json[] {
  for (const c of (listener.filter_chains as Json[] | undefined) ?? []) {
    for (const f of (c.filters as Json[]) ?? []) {
      if (f.name === 'envoy.filters.network.http_connection_manager') return ((f.typed_config as Json).http_filters as Json[]) ?? [];
    }
  }
  return [];
}

export function networkFiltersOf(listener: Json): Json[] {
  return (((listener.filter_chains as Json[])[0]!.filters as Json[]) ?? []);
}

/** 'allow' or 'deny' by the enforced rules of each rbac filter in order (shadow rules never decide). */
export function decide(filters: readonly Json[], r: Req, http = true): 'allow' | 'deny' {
  for (const f of filters) {
    const name = String(f.name);
    if (name !== 'envoy.filters.http.rbac' && name !== 'envoy.filters.network.rbac') continue;
    const ctx = new Ctx(undefined);
    const raw = JSON.parse(JSON.stringify(f.typed_config)) as Record<string, unknown>;
    const cfg = name === 'envoy.filters.http.rbac' ? validateHttpRbac(ctx, raw, 'rbac') : validateNetworkRbac(ctx, raw, 'rbac');
    assert.equal(ctx.errors.length, 0, JSON.stringify(ctx.errors));
    const e = engine(cfg!.rules);
    if (e !== undefined && !e.evaluate(attrs(r, http)).allowed) return 'deny';
  }
  return 'allow';
}

/** The shadow decision of the first filter with shadow rules: its matched policy name, if any. */
export function shadowMatch(filters: readonly Json[], r: Req): string | undefined {
  for (const f of filters) {
    const raw = JSON.parse(JSON.stringify(f.typed_config)) as Record<string, unknown>;
    if (f.name !== 'envoy.filters.http.rbac' || raw.shadow_rules === undefined) continue;
    const ctx = new Ctx(undefined);
    const cfg = validateHttpRbac(ctx, raw, 'rbac');
    return engine(cfg!.shadow_rules)!.evaluate(attrs(r, true)).matchedPolicy;
  }
  return undefined;
}
