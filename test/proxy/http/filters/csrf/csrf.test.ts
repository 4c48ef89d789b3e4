// Proxy HTTP filters: envoy.filters.http.csrf through a real stream — enforced and shadow policies, per-route
// policies, additional origins, Envoy's stats and details, and config errors with paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, configErrors, filterRig } from '../filter-rig.js';
import '../../../../all-filters.js';

const POLICY = `${TYPE}csrf.v3.CsrfPolicy`;
const ON = { default_value: { numerator: 100 } };
const OFF = { default_value: { numerator: 0 } };
const csrf = (cfg: object): object => ({ name: 'envoy.filters.http.csrf', typed_config: { '@type': POLICY, filter_enabled: ON, ...cfg } });

test('csrf: mutating requests from another origin get 403 "Invalid origin"; same-origin and safe methods pass', () => {
  const rig = filterRig({ filters: [csrf({})] });
  const bad = rig.request({ method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(bad.status, 403);
  assert.equal(bad.body, 'Invalid origin');
  rig.request({ method: 'POST', headers: { origin: 'http://svc' } });
  rig.request({ method: 'DELETE', headers: { referer: 'https://svc/page' } });
  rig.request({ method: 'GET', headers: { origin: 'https://evil.example' } });
  assert.equal(rig.upstreams.length, 3);
  assert.deepEqual(
    ['missing_source_origin', 'request_invalid', 'request_valid'].map((n) => rig.stats.get(`http.in.csrf.${n}`)),
    [0, 1, 2],
  );
});

test('csrf: a request with neither Origin nor Referer counts as missing and invalid', () => {
  const rig = filterRig({ filters: [csrf({})] });
  assert.equal(rig.request({ method: 'PATCH' }).status, 403);
  assert.deepEqual([rig.stats.get('http.in.csrf.missing_source_origin'), rig.stats.get('http.in.csrf.request_invalid')], [1, 1]);
});

test('csrf: additional_origins match the source origin\'s host and port', () => {
  const rig = filterRig({ filters: [csrf({ additional_origins: [{ suffix: '.partner.example' }, { exact: 'cdn.example:8443' }] })] });
  rig.request({ method: 'PUT', headers: { origin: 'https://app.partner.example' } });
  rig.request({ method: 'PUT', headers: { origin: 'https://cdn.example:8443' } });
  assert.equal(rig.request({ method: 'PUT', headers: { origin: 'https://cdn.example' } }).status, 403);
  assert.equal(rig.upstreams.length, 2);
});

test('csrf: shadow mode (filter off, shadow on) counts but never blocks; both off does nothing', () => {
  const shadow = filterRig({ filters: [csrf({ filter_enabled: OFF, shadow_enabled: ON })] });
  shadow.request({ method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(shadow.upstreams.length, 1);
  assert.equal(shadow.stats.get('http.in.csrf.request_invalid'), 1);
  const off = filterRig({ filters: [csrf({ filter_enabled: OFF })] });
  off.request({ method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(off.upstreams.length, 1);
  assert.equal(off.stats.get('http.in.csrf.request_invalid'), 0);
});

test('csrf: a route\'s CsrfPolicy replaces the filter\'s', () => {
  const rig = filterRig({
    filters: [csrf({})],
    virtualHost: {
      routes: [
        { match: { prefix: '/webhook' }, route: { cluster: 'a' }, typed_per_filter_config: { 'envoy.filters.http.csrf': { '@type': POLICY, filter_enabled: OFF } } },
        { match: { prefix: '/' }, route: { cluster: 'a' } },
      ],
    },
  });
  rig.request({ method: 'POST', path: '/webhook', headers: { origin: 'https://github.example' } });
  assert.equal(rig.upstreams.length, 1);
  assert.equal(rig.request({ method: 'POST', path: '/form', headers: { origin: 'https://github.example' } }).status, 403);
});

test('csrf config: filter_enabled is required; matchers are checked', () => {
  const f = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
  const msgs = (cfg: object): string[] => configErrors([{ name: 'envoy.filters.http.csrf', typed_config: { '@type': POLICY, ...cfg } }]).map((e) => `${e.path}: ${e.message}`);
  assert.deepEqual(msgs({}), [`${f}.filter_enabled: is required`]);
  assert.match(msgs({ filter_enabled: ON, additional_origins: [{ safe_regex: { regex: '(?=x)' } }] })[0]!, /additional_origins\[0\]\.safe_regex\.regex: invalid RE2 regex/);
  assert.match(msgs({ filter_enabled: ON, shadow_enabled: {} })[0]!, /shadow_enabled\.default_value: is required/);
});
