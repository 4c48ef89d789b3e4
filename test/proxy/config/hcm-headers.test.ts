// Config: HCM header options — add_user_agent, via, scheme_header_transformation, host port stripping, escaped slashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/index.js';
import type { HttpConnectionManager } from '../../../src/proxy/config/types.js';
import { HCM, base, errorsOf, set } from './helpers.js';
import '../../all-filters.js';

function hcmWith(fields: Record<string, unknown>): { hcm?: HttpConnectionManager; errors: string[] } {
  const b = base();
  for (const [k, v] of Object.entries(fields)) set(b, `${HCM}.${k}`, v);
  const r = parseBootstrap(b, { baseDir: '/' });
  if (!r.ok) return { errors: errorsOf(r).map((e) => `${e.path}: ${e.message}`) };
  return { hcm: r.value.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager, errors: [] };
}

test('the options validate into the model (BoolValue wrappers and camelCase too)', () => {
  const { hcm, errors } = hcmWith({
    add_user_agent: { value: true },
    via: '1.1 trellis',
    schemeHeaderTransformation: { scheme_to_overwrite: 'https' },
    strip_any_host_port: true,
    path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT',
  });
  assert.deepEqual(errors, []);
  assert.equal(hcm?.add_user_agent, true);
  assert.equal(hcm?.via, '1.1 trellis');
  assert.deepEqual(hcm?.scheme_header_transformation, { scheme_to_overwrite: 'https', match_upstream: false });
  assert.equal(hcm?.strip_any_host_port, true);
  assert.equal(hcm?.path_with_escaped_slashes_action, 'UNESCAPE_AND_REDIRECT');
  assert.equal(hcmWith({}).hcm?.path_with_escaped_slashes_action, undefined);
});

test('errors name the field', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ strip_matching_host_port: true, strip_any_host_port: true }, 'strip_any_host_port', /only one of/],
    [{ scheme_header_transformation: { scheme_to_overwrite: 'ftp' } }, 'scheme_header_transformation.scheme_to_overwrite', /"http" or "https"/],
    [{ path_with_escaped_slashes_action: 'DECODE' }, 'path_with_escaped_slashes_action', /unknown path_with_escaped_slashes_action/],
    [{ via: 'a\r\nb' }, 'via', /valid header value/],
    [{ scheme_header_transformation: { match_upstrem: true } }, 'scheme_header_transformation.match_upstrem', /did you mean "match_upstream"/],
  ];
  for (const [fields, path, message] of cases) {
    const { errors } = hcmWith(fields);
    assert.ok(errors.some((e) => e.startsWith(`${HCM}.${path}: `) && message.test(e)), `${JSON.stringify(fields)} -> ${errors.join('; ')}`);
  }
});
