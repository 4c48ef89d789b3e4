// Proxy HTTP: ext_authz config validation — defaults, Envoy fields rejected by name, errors with their paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { validateExtAuthz, validateExtAuthzPerRoute } from '../../../../../src/proxy/http/filters/ext_authz/config.js';
import type { ExtAuthzConfig } from '../../../../../src/proxy/http/filters/ext_authz/types.js';

function check(raw: object): { config: ExtAuthzConfig | undefined; errors: string[] } {
  const ctx = new Ctx(undefined);
  const config = validateExtAuthz(ctx, raw as Record<string, unknown>, 'f');
  return { config, errors: ctx.errors.map((e) => `${e.path}: ${e.message}`) };
}

const HTTP = { http_service: { server_uri: { uri: 'http://a', cluster: 'authz', timeout: '0.5s' } } };
const GRPC = { grpc_service: { envoy_grpc: { cluster_name: 'authz' } } };

test('ext_authz config: Envoy defaults (status_on_error 403, gRPC timeout 200ms, fail closed)', () => {
  const { config, errors } = check(GRPC);
  assert.deepEqual(errors, []);
  assert.equal(config?.status_on_error, 403);
  assert.equal(config?.failure_mode_allow, false);
  assert.equal(config?.enable_dynamic_metadata_ingestion, true);
  assert.deepEqual(config?.service, { kind: 'grpc', cluster_name: 'authz', timeout: 200, initial_metadata: [] });
  const h = check({ ...HTTP, status_on_error: { code: 'ServiceUnavailable' }, failure_mode_allow: true, stat_prefix: 'waf' });
  assert.deepEqual(h.errors, []);
  assert.equal(h.config?.status_on_error, 503);
  assert.equal(h.config?.service.kind === 'http' && h.config.service.server_uri.timeout, 500);
  assert.equal(check({ ...GRPC, status_on_error: { code: 401 } }).config?.status_on_error, 401);
});

test('ext_authz config: exactly one service; server_uri needs uri, cluster and timeout', () => {
  assert.match(check({}).errors.join('\n'), /^f: one of grpc_service, http_service is required/m);
  assert.match(check({ ...HTTP, ...GRPC }).errors.join('\n'), /only one of grpc_service, http_service/);
  const e = check({ http_service: { server_uri: { cluster: 'authz' } } }).errors.join('\n');
  assert.match(e, /^f\.http_service\.server_uri\.uri: is required$/m);
  assert.match(e, /^f\.http_service\.server_uri\.timeout: is required$/m);
  assert.match(check({ grpc_service: {} }).errors.join('\n'), /^f\.grpc_service\.envoy_grpc: is required$/m);
});

test('ext_authz config: security-relevant Envoy fields trellis lacks are rejected by name', () => {
  const cases: [object, RegExp][] = [
    [{ ...GRPC, filter_enabled_metadata: { filter: 'x' } }, /^f\.filter_enabled_metadata\.(path|value): /m],
    [{ ...GRPC, decoder_header_mutation_rules: {} }, /^f\.decoder_header_mutation_rules: .*not supported/m],
    [{ ...GRPC, route_metadata_context_namespaces: ['a'] }, /route_metadata_context_namespaces is not supported/],
    [{ grpc_service: { google_grpc: { target_uri: 'x' } } }, /^f\.grpc_service\.google_grpc: google_grpc is not supported by trellis$/m],
    [{ grpc_service: { envoy_grpc: { cluster_name: 'a', retry_policy: {} } } }, /^f\.grpc_service\.envoy_grpc\.retry_policy: .*not supported/m],
    [{ http_service: { ...HTTP.http_service, retry_policy: {} } }, /^f\.http_service\.retry_policy: .*not supported/m],
    [{ ...GRPC, include_peer_certificate: true }, /^f\.include_peer_certificate: include_peer_certificate: true is not supported/m],
    [{ ...GRPC, transport_api_version: 'V2' }, /^f\.transport_api_version: only V3/m],
    [{ ...GRPC, failure_mode_alow: true }, /^f\.failure_mode_alow: unknown field "failure_mode_alow"; did you mean "failure_mode_allow"\?$/m],
  ];
  for (const [raw, want] of cases) assert.match(check(raw).errors.join('\n'), want, JSON.stringify(raw));
  // observability-only fields are accepted
  assert.deepEqual(check({ ...GRPC, emit_filter_state_stats: true, charge_cluster_response_stats: false, include_peer_certificate: false }).errors, []);
});

test('ext_authz config: with_request_body, ListStringMatchers, headers_to_add formatters', () => {
  assert.match(check({ ...GRPC, with_request_body: { max_request_bytes: 0 } }).errors.join('\n'), /^f\.with_request_body\.max_request_bytes: 0 is out of range/m);
  assert.match(check({ ...GRPC, allowed_headers: { patterns: [] } }).errors.join('\n'), /^f\.allowed_headers\.patterns: must have at least one pattern$/m);
  assert.match(check({ ...GRPC, allowed_headers: { patterns: [{ safe_regex: { regex: '(' } }] } }).errors.join('\n'), /^f\.allowed_headers\.patterns\[0\]/m);
  const dup = check({
    http_service: { ...HTTP.http_service, authorization_request: { allowed_headers: { patterns: [{ exact: 'a' }] } } },
    allowed_headers: { patterns: [{ exact: 'b' }] },
  });
  assert.match(dup.errors.join('\n'), /^f\.allowed_headers: allowed_headers and http_service\.authorization_request\.allowed_headers cannot both be set$/m);
  const bad = check({ http_service: { ...HTTP.http_service, authorization_request: { headers_to_add: [{ key: 'x', value: '%NOT_A_THING%' }] } } });
  assert.ok(bad.errors.some((e) => e.startsWith('f.http_service.authorization_request.headers_to_add[0]')), bad.errors.join('\n'));
  const ok = check({
    http_service: {
      ...HTTP.http_service,
      path_prefix: '/auth',
      authorization_request: { headers_to_add: [{ key: 'X-Client', value: '%DOWNSTREAM_REMOTE_ADDRESS%' }] },
      authorization_response: { allowed_upstream_headers: { patterns: [{ prefix: 'x-user-' }] } },
    },
  });
  assert.deepEqual(ok.errors, []);
  const svc = ok.config?.service;
  assert.ok(svc?.kind === 'http');
  assert.equal(svc.headers_to_add[0].header.key, 'x-client');
  assert.equal(svc.headers_to_add[0].append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
  assert.deepEqual(svc.allowed_upstream_headers, [{ kind: 'prefix', value: 'x-user-', ignore_case: false }]);
  assert.match(check({ http_service: { ...HTTP.http_service, path_prefix: 'auth' } }).errors.join('\n'), /path_prefix: must start with "\/"/);
});

test('ext_authz config: filter_enabled reads default_value; deny_at_disable needs default_value', () => {
  const c = check({ ...GRPC, filter_enabled: { default_value: { numerator: 25 }, runtime_key: 'authz.enabled' }, deny_at_disable: { default_value: true, runtime_key: 'k' } });
  assert.deepEqual(c.errors, []);
  assert.deepEqual(c.config?.filter_enabled, { fraction: 0.25, runtime_key: 'authz.enabled' });
  assert.deepEqual(c.config?.deny_at_disable, { default_value: true, runtime_key: 'k' });
  assert.match(check({ ...GRPC, deny_at_disable: { runtime_key: 'k' } }).errors.join('\n'), /^f\.deny_at_disable\.default_value: is required$/m);
});

test('ExtAuthzPerRoute: disabled or check_settings; a per-route service is rejected by name', () => {
  const v = (raw: object): { errors: string[]; out: unknown } => {
    const ctx = new Ctx(undefined);
    const out = validateExtAuthzPerRoute(ctx, raw as Record<string, unknown>, 'r');
    return { errors: ctx.errors.map((e) => `${e.path}: ${e.message}`), out };
  };
  assert.match(v({}).errors.join('\n'), /^r: one of disabled, check_settings is required$/m);
  assert.deepEqual(v({ disabled: true }).errors, []);
  const cs = v({ check_settings: { context_extensions: { a: 'b' }, with_request_body: { max_request_bytes: 10 } } });
  assert.deepEqual(cs.errors, []);
  assert.deepEqual((cs.out as { check_settings: unknown }).check_settings, {
    context_extensions: { a: 'b' },
    disable_request_body_buffering: false,
    with_request_body: { max_request_bytes: 10, allow_partial_message: false, pack_as_bytes: false },
  });
  assert.match(v({ check_settings: { disable_request_body_buffering: true, with_request_body: { max_request_bytes: 1 } } }).errors.join('\n'), /only one of disable_request_body_buffering and with_request_body/);
  assert.match(v({ check_settings: { grpc_service: {} } }).errors.join('\n'), /^r\.check_settings\.grpc_service: grpc_service is not supported by trellis$/m);
});
