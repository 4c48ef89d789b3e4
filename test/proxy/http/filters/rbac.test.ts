// Proxy HTTP: the rbac filter — enforce vs shadow, RBACPerRoute, stats names, dynamic metadata, and its validators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../../src/proxy/config/reader.js';
import { StatsStore } from '../../../../src/proxy/telemetry/stats-store.js';
import type { FilterCallbacks, HttpFilterFactory, LocalReplyOptions } from '../../../../src/proxy/http/filter/api.js';
import type { HttpFilterContext } from '../../../../src/proxy/http/filter/registry.js';
import type { HttpFilterConfig } from '../../../../src/proxy/config/types.js';
import type { HeaderMap } from '../../../../src/proxy/router/types.js';
import { validateHttpRbac, validateHttpRbacPerRoute, type HttpRbacConfig, type HttpRbacPerRoute } from '../../../../src/proxy/http/filters/rbac/config.js';
import { rbacFilterFactory } from '../../../../src/proxy/http/filters/rbac/filter.js';

function config(raw: object): HttpRbacConfig {
  const ctx = new Ctx(undefined);
  const c = validateHttpRbac(ctx, raw as Record<string, unknown>, 'f');
  assert.deepEqual(ctx.errors, []);
  return c!;
}
function perRoute(raw: object): HttpRbacPerRoute {
  const ctx = new Ctx(undefined);
  const c = validateHttpRbacPerRoute(ctx, raw as Record<string, unknown>, 'r');
  assert.deepEqual(ctx.errors, []);
  return c!;
}

const DENY_ADMIN = { action: 'DENY', policies: { 'deny admin': { permissions: [{ url_path: { path: { prefix: '/admin' } } }], principals: [{ any: true }] } } };
const ALLOW_GET = { action: 'ALLOW', policies: { 'get-only': { permissions: [{ header: { name: ':method', string_match: { exact: 'GET' } } }], principals: [{ any: true }] } } };

interface Outcome {
  status: 'continue' | 'stop';
  reply?: { status: number; body: string; opts?: LocalReplyOptions };
  metadata: Record<string, Record<string, unknown>>;
}

class Harness {
  readonly store = new StatsStore();
  private readonly make: HttpFilterFactory;
  constructor(cfg: HttpRbacConfig) {
    const ctx = { stats: this.store.scope('http', 'ingress'), name: 'envoy.filters.http.rbac' } as unknown as HttpFilterContext;
    this.make = rbacFilterFactory(cfg, ctx);
  }
  counter(...name: string[]): number {
    return this.store.counter(name[0]!, ...name.slice(1)).value();
  }
  run(r: { method?: string; path?: string; headers?: HeaderMap; route?: HttpFilterConfig; metadata?: Record<string, Record<string, unknown>> }): Outcome {
    const out: Outcome = { status: 'continue', metadata: {} };
    const stream = {
      method: r.method ?? 'GET',
      path: r.path ?? '/',
      authority: 'example.com',
      scheme: 'http',
      headers: r.headers ?? {},
      clientIp: '127.0.0.1',
      conn: { remoteAddress: '127.0.0.1', remotePort: 5000, localAddress: '127.0.0.1', localPort: 10000 },
      dynamicMetadata: r.metadata,
    };
    const cb = {
      stream,
      perRouteConfig: () => r.route,
      setDynamicMetadata: (ns: string, v: Record<string, unknown>) => (out.metadata[ns] = { ...out.metadata[ns], ...v }),
      sendLocalReply: (status: number, body: string, opts?: LocalReplyOptions) => (out.reply = { status, body, opts }),
    } as unknown as FilterCallbacks;
    out.status = this.make(cb).decodeHeaders!(stream as never, true);
    return out;
  }
}

test('rbac filter: a denied request gets 403 "RBAC: access denied" with the matched policy in the details', () => {
  const h = new Harness(config({ rules: DENY_ADMIN }));
  const denied = h.run({ path: '/admin/users?x=1' });
  assert.equal(denied.status, 'stop');
  assert.deepEqual(denied.reply, { status: 403, body: 'RBAC: access denied', opts: { details: 'rbac_access_denied_matched_policy[deny_admin]' } });
  assert.deepEqual(denied.metadata['envoy.filters.http.rbac'], { enforced_effective_policy_id: 'deny admin', enforced_engine_result: 'denied' });
  const ok = h.run({ path: '/public' });
  assert.equal(ok.status, 'continue');
  assert.equal(ok.reply, undefined);
  assert.deepEqual(ok.metadata['envoy.filters.http.rbac'], { enforced_engine_result: 'allowed' });
  assert.equal(h.counter('http', 'ingress', 'rbac', 'allowed'), 1);
  assert.equal(h.counter('http', 'ingress', 'rbac', 'denied'), 1);
  // ALLOW with no match: details say none
  const g = new Harness(config({ rules: ALLOW_GET }));
  assert.equal(g.run({ method: 'POST' }).reply?.opts?.details, 'rbac_access_denied_matched_policy[none]');
});

test('rbac filter: shadow rules are counted and recorded, never enforced; stat prefixes as Envoy names them', () => {
  const h = new Harness(config({ rules: DENY_ADMIN, shadow_rules: ALLOW_GET, rules_stat_prefix: 'enf.', shadow_rules_stat_prefix: 'dry_' }));
  const r = h.run({ method: 'POST', path: '/public' });
  assert.equal(r.status, 'continue', 'shadow ALLOW-GET would deny a POST but must not');
  assert.deepEqual(r.metadata['envoy.filters.http.rbac'], { dry_shadow_engine_result: 'denied', 'enf.enforced_engine_result': 'allowed' });
  const g = h.run({ method: 'GET', path: '/public' });
  assert.deepEqual(g.metadata['envoy.filters.http.rbac'], {
    dry_shadow_effective_policy_id: 'get-only',
    dry_shadow_engine_result: 'allowed',
    'enf.enforced_engine_result': 'allowed',
  });
  assert.equal(h.counter('http', 'ingress', 'rbac', 'enf', 'allowed'), 2);
  assert.equal(h.counter('http', 'ingress', 'rbac', 'dry_', 'shadow_denied'), 1);
  assert.equal(h.counter('http', 'ingress', 'rbac', 'dry_', 'shadow_allowed'), 1);
  // shadow only: nothing is ever refused
  const s = new Harness(config({ shadow_rules: { action: 'ALLOW' } }));
  assert.equal(s.run({}).status, 'continue');
  assert.equal(s.counter('http', 'ingress', 'rbac', 'shadow_denied'), 1);
  assert.equal(s.counter('http', 'ingress', 'rbac', 'denied'), 0);
});

test('rbac filter: RBACPerRoute overrides the rules, and one without rbac turns RBAC off for the route', () => {
  const h = new Harness(config({ rules: DENY_ADMIN, shadow_rules: ALLOW_GET }));
  const off = h.run({ path: '/admin', method: 'POST', route: perRoute({}) });
  assert.equal(off.status, 'continue');
  assert.deepEqual(off.metadata, {}, 'neither engine ran');
  const strict = perRoute({ rbac: { rules: ALLOW_GET } });
  assert.equal(h.run({ path: '/public', method: 'POST', route: strict }).reply?.status, 403);
  assert.equal(h.run({ path: '/admin', method: 'GET', route: strict }).status, 'continue', 'the route rules replace the filter rules');
  assert.equal(h.counter('http', 'ingress', 'rbac', 'denied'), 1);
  assert.equal(h.counter('http', 'ingress', 'rbac', 'shadow_allowed') + h.counter('http', 'ingress', 'rbac', 'shadow_denied'), 0, 'route without shadow_rules: none');
  // a per-route config of another filter type is not ours
  assert.equal(h.run({ path: '/admin', route: { '@type': 'type.googleapis.com/other' } }).reply?.status, 403);
});

test('rbac filter: LOG sets envoy.common access_log_hint and always continues', () => {
  const h = new Harness(config({ rules: { action: 'LOG', policies: { post: { permissions: [{ header: { name: ':method', exact_match: 'POST' } }], principals: [{ any: true }] } } } }));
  assert.deepEqual(h.run({ method: 'POST' }).metadata['envoy.common'], { access_log_hint: true });
  const get = h.run({ method: 'GET' });
  assert.equal(get.status, 'continue');
  assert.deepEqual(get.metadata['envoy.common'], { access_log_hint: false });
});

test('rbac filter: metadata rules read what earlier filters set (jwt_authn payload_in_metadata)', () => {
  const h = new Harness(
    config({
      rules: {
        action: 'ALLOW',
        policies: {
          admins: {
            permissions: [{ any: true }],
            principals: [{ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'jwt_payload' }, { key: 'role' }], value: { string_match: { exact: 'admin' } } } }],
          },
        },
      },
    }),
  );
  assert.equal(h.run({ metadata: { 'envoy.filters.http.jwt_authn': { jwt_payload: { role: 'admin' } } } }).status, 'continue');
  assert.equal(h.run({ metadata: { 'envoy.filters.http.jwt_authn': { jwt_payload: { role: 'user' } } } }).status, 'stop');
  assert.equal(h.run({}).status, 'stop');
});

test('rbac filter: track_per_rule_stats counts per matched policy under policy.<name>', () => {
  const h = new Harness(config({ rules: DENY_ADMIN, shadow_rules: ALLOW_GET, track_per_rule_stats: true }));
  h.run({ path: '/admin' });
  h.run({ path: '/admin' });
  h.run({ path: '/x', method: 'GET' });
  assert.equal(h.counter('http', 'ingress', 'rbac', 'policy', 'deny admin', 'denied'), 2);
  assert.equal(h.counter('http', 'ingress', 'rbac', 'policy', 'get-only', 'shadow_allowed'), 3);
  const flat = h.store.snapshot().counters.filter((c) => c.value > 0).map((c) => c.segments.join('.')).sort();
  assert.deepEqual(flat, [
    'http.ingress.rbac.allowed',
    'http.ingress.rbac.denied',
    'http.ingress.rbac.policy.deny admin.denied',
    'http.ingress.rbac.policy.get-only.shadow_allowed',
    'http.ingress.rbac.shadow_allowed',
  ]);
});

test('rbac filter validate: matcher / shadow_matcher rejected by name; errors carry paths; RBACPerRoute', () => {
  const errs = (raw: object, v: (c: Ctx, b: Record<string, unknown>, p: string) => unknown = validateHttpRbac): string[] => {
    const ctx = new Ctx(undefined);
    v(ctx, raw as Record<string, unknown>, 'f');
    return ctx.errors.map((e) => `${e.path}: ${e.message}`);
  };
  assert.deepEqual(errs({ matcher: {} }), ['f.matcher: matcher is not supported by trellis']);
  assert.deepEqual(errs({ shadowMatcher: {} }), ['f.shadow_matcher: shadow_matcher is not supported by trellis']);
  assert.deepEqual(errs({ rules: { action: 'DENY', policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: {} } } } }), [
    'f.rules.policies["p"].condition: condition is not supported by trellis',
  ]);
  assert.deepEqual(errs({ rules: { policies: { p: { permissions: [{ destination_port: -1 }], principals: [{ any: true }] } } } }), [
    'f.rules.policies["p"].permissions[0].destination_port: -1 is out of range; must be in 0–65535',
  ]);
  assert.deepEqual(errs({ rbac: { rules: { action: 'NOPE' } } }, validateHttpRbacPerRoute), ['f.rbac.rules.action: unknown action "NOPE"; expected one of ALLOW, DENY, LOG']);
  assert.deepEqual(errs({ rbac: {}, extra: 1 }, validateHttpRbacPerRoute), ['f.extra: unknown field "extra"']);
  assert.deepEqual(perRoute({}), { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute' });
});
