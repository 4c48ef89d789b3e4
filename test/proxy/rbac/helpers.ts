// RBAC tests: build engines from Envoy-shaped YAML-ish objects and attributes from a few overrides.
import assert from 'node:assert/strict';
import { Ctx } from '../../../src/proxy/config/reader.js';
import { validateRbac } from '../../../src/proxy/rbac/validate.js';
import { RbacEngine } from '../../../src/proxy/rbac/engine.js';
import type { RbacAttributes } from '../../../src/proxy/rbac/attributes.js';
import type { RouteRequest } from '../../../src/proxy/router/types.js';

/** Validates and compiles an envoy.config.rbac.v3.RBAC; fails the test on any error. */
export function engine(raw: object): RbacEngine {
  const ctx = new Ctx(undefined);
  const cfg = validateRbac(ctx, raw, 'rbac');
  assert.deepEqual(ctx.errors, []);
  assert.ok(cfg !== undefined);
  const errs: { path: string; message: string }[] = [];
  const e = RbacEngine.compile(cfg, 'rbac', errs);
  assert.deepEqual(errs, []);
  return e;
}

/** One policy `p` with these permissions and principals. */
export function onePolicy(action: 'ALLOW' | 'DENY' | 'LOG', permissions: object[], principals: object[] = [{ any: true }]): RbacEngine {
  return engine({ action, policies: { p: { permissions, principals } } });
}

export function req(over: Partial<RouteRequest> = {}): RouteRequest {
  return { authority: 'example.com', path: '/', method: 'GET', headers: {}, scheme: 'http', ...over };
}

export function attrs(over: Partial<RbacAttributes> = {}): RbacAttributes {
  return {
    request: req(),
    sourceIp: '10.0.0.1',
    directRemoteIp: '10.0.0.1',
    remoteIp: '10.0.0.1',
    destinationIp: '192.168.1.1',
    destinationPort: 8080,
    ...over,
  };
}

/** Validation errors of an RBAC config, as "path: message" lines. */
export function rbacErrors(raw: unknown): string[] {
  const ctx = new Ctx(undefined);
  validateRbac(ctx, raw, 'rbac');
  return ctx.errors.map((e) => `${e.path}: ${e.message}`);
}
