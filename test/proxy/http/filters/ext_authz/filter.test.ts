// Proxy HTTP: the ext_authz filter's decisions without a service — fail closed/open, filter_enabled and deny_at_disable,
// per-route disable, body buffering limits — and that the gRPC codec loads only when a gRPC filter is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extAuthzFilterFactory } from '../../../../../src/proxy/http/filters/ext_authz/filter.js';
import { codecLoadStarted } from '../../../../../src/proxy/ext-authz/grpc-client.js';
import { EXT_AUTHZ_PER_ROUTE_TYPE, EXT_AUTHZ_TYPE, type ExtAuthzConfig, type ExtAuthzPerRoute } from '../../../../../src/proxy/http/filters/ext_authz/types.js';
import type { FilterCallbacks, HttpFilter, LocalReplyOptions } from '../../../../../src/proxy/http/filter/api.js';
import type { HttpFilterContext } from '../../../../../src/proxy/http/filter/registry.js';
import type { HeaderMap } from '../../../../../src/proxy/router/types.js';
import type { ClusterManager } from '../../../../../src/proxy/upstream/types.js';
import { PoolManager } from '../../../../../src/proxy/upstream/pool/pool-manager.js';
import { FakeStats } from '../../../upstream/fake-stats.js';

const NO_CLUSTERS = { get: () => undefined } as unknown as ClusterManager;

function config(over: Partial<ExtAuthzConfig> = {}): ExtAuthzConfig {
  return {
    '@type': EXT_AUTHZ_TYPE,
    service: { kind: 'http', server_uri: { uri: 'http://a', cluster: 'missing', timeout: 100 }, path_prefix: '', headers_to_add: [] },
    failure_mode_allow: false,
    failure_mode_allow_header_add: false,
    clear_route_cache: false,
    status_on_error: 403,
    validate_mutations: false,
    metadata_context_namespaces: [],
    stat_prefix: '',
    include_tls_session: false,
    enable_dynamic_metadata_ingestion: true,
    max_denied_response_body_bytes: 0,
    ...over,
  };
}

interface Harness {
  filter: HttpFilter;
  stats: FakeStats;
  headers: HeaderMap;
  replies: { status: number; body: string; opts?: LocalReplyOptions }[];
  continued: number;
  held: Buffer[];
}

function harness(cfg: ExtAuthzConfig, opts: { random?: number; perRoute?: ExtAuthzPerRoute; metadata?: Record<string, Record<string, unknown>> } = {}): Harness {
  const stats = new FakeStats();
  const ctx: HttpFilterContext = { stats, clusters: NO_CLUSTERS, pools: new PoolManager(() => undefined), random: () => opts.random ?? 0, name: 'envoy.filters.http.ext_authz' };
  const h: Harness = { filter: undefined as unknown as HttpFilter, stats, headers: { 'x-a': '1' }, replies: [], continued: 0, held: [] };
  const stream = {
    method: 'POST',
    path: '/p',
    authority: 'h',
    scheme: 'http',
    headers: h.headers,
    conn: { remoteAddress: '10.0.0.2', remotePort: 1, localAddress: '10.0.0.1', localPort: 80, listenerName: 'l', filterChainName: '' },
    ds: { protocol: 'HTTP/1.1' },
    bytesReceived: 0,
    startTime: Date.now(),
    dynamicMetadata: opts.metadata,
    chooseCluster: () => undefined,
    formatContext: () => ({ downstreamRemoteAddress: '10.0.0.2:1', downstreamLocalAddress: '10.0.0.1:80', requestHeaders: h.headers, protocol: 'HTTP/1.1' }),
  };
  const cb = {
    stream,
    filterName: 'envoy.filters.http.ext_authz',
    bufferLimit: 1 << 20,
    perRouteConfig: () => opts.perRoute,
    continueDecoding: () => void h.continued++,
    sendLocalReply: (status: number, body: string, o?: LocalReplyOptions) => void h.replies.push({ status, body, opts: o }),
    decodingBuffer: () => (h.held.length === 0 ? undefined : Buffer.concat(h.held)),
    clearRouteCache: () => {},
    setDynamicMetadata: () => {},
  } as unknown as FilterCallbacks;
  h.filter = extAuthzFilterFactory(cfg, ctx)(cb);
  return h;
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('building HTTP ext_authz filters does not load the gRPC codec; the first gRPC one does', () => {
  harness(config());
  assert.equal(codecLoadStarted(), false);
  harness(config({ service: { kind: 'grpc', cluster_name: 'missing', timeout: 200, initial_metadata: [] } }));
  assert.equal(codecLoadStarted(), true);
});

test('service unreachable: fail closed with status_on_error and UAEX; counted as error', async () => {
  const h = harness(config({ status_on_error: 503 }));
  assert.equal(h.filter.decodeHeaders!({ method: 'GET', path: '/', authority: 'h', scheme: 'http', headers: h.headers }, true), 'stop');
  await settle();
  assert.deepEqual(h.replies.map((r) => [r.status, r.body, r.opts?.flag]), [[503, '', 'UAEX']]);
  assert.equal(h.continued, 0);
  assert.equal(h.stats.get('ext_authz.error'), 1);
  assert.equal(h.stats.get('ext_authz.failure_mode_allowed'), 0);
});

test('service unreachable with failure_mode_allow (+ header add): continues, marks the request, counts both', async () => {
  for (const gRPC of [false, true]) {
    const svc = gRPC ? { service: { kind: 'grpc' as const, cluster_name: 'missing', timeout: 200, initial_metadata: [] } } : {};
    const h = harness(config({ ...svc, failure_mode_allow: true, failure_mode_allow_header_add: true, stat_prefix: 'waf' }));
    h.filter.decodeHeaders!({ method: 'GET', path: '/', authority: 'h', scheme: 'http', headers: h.headers }, true);
    // gRPC: the codec module (and its protos) load first; poll with a deadline
    for (const deadline = Date.now() + 5000; h.continued === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.continued, 1);
    assert.equal(h.replies.length, 0);
    assert.equal(h.headers['x-envoy-auth-failure-mode-allowed'], 'true');
    assert.equal(h.stats.get('ext_authz.waf.error'), 1);
    assert.equal(h.stats.get('ext_authz.waf.failure_mode_allowed'), 1);
  }
});

test('filter_enabled (default_value) off for this request: continue and count disabled; deny_at_disable replies status_on_error', () => {
  const off = { filter_enabled: { fraction: 0.3 } };
  const h = harness(config(off), { random: 0.5 });
  assert.equal(h.filter.decodeHeaders!({ method: 'GET', path: '/', authority: 'h', scheme: 'http', headers: h.headers }, true), 'continue');
  assert.equal(h.stats.get('ext_authz.disabled'), 1);
  const d = harness(config({ ...off, deny_at_disable: { default_value: true, runtime_key: '' }, status_on_error: 401 }), { random: 0.5 });
  assert.equal(d.filter.decodeHeaders!({ method: 'GET', path: '/', authority: 'h', scheme: 'http', headers: d.headers }, true), 'stop');
  assert.deepEqual(d.replies.map((r) => r.status), [401]);
  const on = harness(config(off), { random: 0.1 });
  assert.equal(on.filter.decodeHeaders!({ method: 'GET', path: '/', authority: 'h', scheme: 'http', headers: on.headers }, true), 'stop', 'enabled: checks');
});

test('filter_enabled_metadata: checked only when the dynamic metadata matches (how Istio CUSTOM policies pick requests)', () => {
  const cfg = config({
    filter_enabled_metadata: { filter: 'envoy.filters.http.rbac', path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }], value: { string_match: { kind: 'prefix', value: 'istio-ext-authz', ignore_case: false } }, invert: false },
  });
  const req = { method: 'GET', path: '/', authority: 'h', scheme: 'http' as const };
  const none = harness(cfg);
  assert.equal(none.filter.decodeHeaders!({ ...req, headers: none.headers }, true), 'continue', 'no metadata: not checked');
  assert.equal(none.stats.get('ext_authz.disabled'), 1);
  const other = harness(cfg, { metadata: { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_effective_policy_id: 'ns[x]-policy[y]' } } });
  assert.equal(other.filter.decodeHeaders!({ ...req, headers: other.headers }, true), 'continue');
  const hit = harness(cfg, { metadata: { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_effective_policy_id: 'istio-ext-authz-ns[x]-policy[y]-rule[0]' } } });
  assert.equal(hit.filter.decodeHeaders!({ ...req, headers: hit.headers }, true), 'stop', 'matched: checked (and fails closed here: no cluster)');
});

test('ExtAuthzPerRoute disabled: continue without a check or stats', () => {
  const h = harness(config(), { perRoute: { '@type': EXT_AUTHZ_PER_ROUTE_TYPE, disabled: true } });
  assert.equal(h.filter.decodeHeaders!({ method: 'GET', path: '/', authority: 'h', scheme: 'http', headers: h.headers }, false), 'continue');
  assert.equal(h.stats.get('ext_authz.error'), 0);
});

test('with_request_body: the body is held for the check; over max_request_bytes is 413 unless allow_partial_message', () => {
  const strict = harness(config({ with_request_body: { max_request_bytes: 8, allow_partial_message: false, pack_as_bytes: false } }));
  const f = strict.filter;
  assert.equal(f.decodeHeaders!({ method: 'POST', path: '/', authority: 'h', scheme: 'http', headers: strict.headers }, false), 'stop');
  assert.equal(f.decodeData!(Buffer.from('12345'), false), 'stop-buffer');
  strict.held.push(Buffer.from('12345'));
  assert.equal(f.decodeData!(Buffer.from('6789'), false), 'stop');
  assert.deepEqual(strict.replies.map((r) => [r.status, r.body]), [[413, 'Payload Too Large']]);

  const partial = harness(config({ with_request_body: { max_request_bytes: 8, allow_partial_message: true, pack_as_bytes: false } }));
  const p = partial.filter;
  p.decodeHeaders!({ method: 'POST', path: '/', authority: 'h', scheme: 'http', headers: partial.headers }, false);
  assert.equal(p.decodeData!(Buffer.from('12345'), false), 'stop-buffer');
  partial.held.push(Buffer.from('12345'));
  assert.equal(p.decodeData!(Buffer.from('6789'), false), 'stop-buffer', 'full: the check starts');
  assert.equal(p.decodeData, undefined, 'while the check runs the manager holds data with flow control (no 413)');
  assert.equal(partial.replies.length, 0);

  const none = harness(config({ with_request_body: { max_request_bytes: 8, allow_partial_message: false, pack_as_bytes: false } }), {
    perRoute: { '@type': EXT_AUTHZ_PER_ROUTE_TYPE, disabled: false, check_settings: { context_extensions: {}, disable_request_body_buffering: true } },
  });
  none.filter.decodeHeaders!({ method: 'POST', path: '/', authority: 'h', scheme: 'http', headers: none.headers }, false);
  assert.equal(none.filter.decodeData, undefined, 'disable_request_body_buffering: checked on headers alone');
});
