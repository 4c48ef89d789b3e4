// RBAC config validation: every error with its path; unimplemented Envoy fields (CEL, matcher extensions) rejected by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rbacErrors } from './helpers.js';

const ANY = [{ any: true }];
function policy(permissions: unknown, principals: unknown = ANY): object {
  return { action: 'ALLOW', policies: { p: { permissions, principals } } };
}

test('rbac validate: a full Envoy example is accepted', () => {
  assert.deepEqual(
    rbacErrors({
      action: 'ALLOW',
      policies: {
        'service-admin': {
          permissions: [{ any: true }],
          principals: [{ authenticated: { principal_name: { exact: 'cluster.local/ns/default/sa/admin' } } }],
        },
        'product-viewer': {
          permissions: [
            {
              and_rules: {
                rules: [
                  { header: { name: ':method', string_match: { exact: 'GET' } } },
                  { url_path: { path: { prefix: '/products' } } },
                  { or_rules: { rules: [{ destination_port: 80 }, { destination_port: 443 }] } },
                ],
              },
            },
          ],
          principals: [{ any: true }],
        },
      },
    }),
    [],
  );
});

test('rbac validate: CEL condition / checked_condition are rejected by name', () => {
  assert.deepEqual(rbacErrors({ policies: { p: { permissions: ANY, principals: ANY, condition: { const_expr: { bool_value: true } } } } }), [
    'rbac.policies["p"].condition: condition is not supported by trellis',
  ]);
  assert.deepEqual(rbacErrors({ policies: { p: { permissions: ANY, principals: ANY, checkedCondition: {} } } }), [
    'rbac.policies["p"].checked_condition: checked_condition is not supported by trellis',
  ]);
});

test('rbac validate: unimplemented rule kinds are rejected by name, without a second "required" error', () => {
  assert.deepEqual(rbacErrors(policy([{ matcher: { name: 'x', typed_config: {} } }])), ['rbac.policies["p"].permissions[0].matcher: matcher is not supported by trellis']);
  assert.deepEqual(rbacErrors(policy([{ uri_template: { name: 'x' } }])), ['rbac.policies["p"].permissions[0].uri_template: uri_template is not supported by trellis']);
  assert.deepEqual(rbacErrors(policy(ANY, [{ filter_state: { key: 'k' } }])), ['rbac.policies["p"].principals[0].filter_state: filter_state is not supported by trellis']);
  assert.deepEqual(rbacErrors(policy(ANY, [{ custom: { name: 'x' } }])), ['rbac.policies["p"].principals[0].custom: custom is not supported by trellis']);
  assert.deepEqual(rbacErrors({ action: 'DENY', audit_logging_options: {} }), ['rbac.audit_logging_options: audit_logging_options is not supported by trellis']);
});

test('rbac validate: shapes — empty rule, two rules, any:false, empty lists, bad action, typos', () => {
  assert.match(rbacErrors(policy([{}]))[0]!, /^rbac\.policies\["p"\]\.permissions\[0\]: one of and_rules, or_rules, any, .* is required$/);
  assert.deepEqual(rbacErrors(policy([{ any: true, destination_port: 80 }])), ['rbac.policies["p"].permissions[0].destination_port: only one of any, destination_port may be set']);
  assert.deepEqual(rbacErrors(policy([{ any: false }])), ['rbac.policies["p"].permissions[0].any: must be true']);
  assert.deepEqual(rbacErrors(policy([])), ['rbac.policies["p"].permissions: needs at least one entry']);
  assert.deepEqual(rbacErrors({ policies: { p: { permissions: ANY } } }), ['rbac.policies["p"].principals: needs at least one entry']);
  assert.deepEqual(rbacErrors(policy([{ and_rules: { rules: [] } }])), ['rbac.policies["p"].permissions[0].and_rules.rules: needs at least one entry']);
  assert.deepEqual(rbacErrors(policy(ANY, [{ or_ids: {} }])), ['rbac.policies["p"].principals[0].or_ids.ids: needs at least one entry']);
  assert.deepEqual(rbacErrors({ action: 'MAYBE' }), ['rbac.action: unknown action "MAYBE"; expected one of ALLOW, DENY, LOG']);
  assert.deepEqual(rbacErrors({ policies: { p: { permisions: ANY, permissions: ANY, principals: ANY } } }), [
    'rbac.policies["p"].permisions: unknown field "permisions"; did you mean "permissions"?',
  ]);
  assert.deepEqual(rbacErrors({ policies: [] }), ['rbac.policies: expected a map, got a list']);
});

test('rbac validate: ports, ranges and CIDRs', () => {
  assert.deepEqual(rbacErrors(policy([{ destination_port: 70000 }])), ['rbac.policies["p"].permissions[0].destination_port: 70000 is out of range; must be in 0–65535']);
  assert.deepEqual(rbacErrors(policy([{ destination_port_range: { start: 90, end: 80 } }])), [
    'rbac.policies["p"].permissions[0].destination_port_range.end: range end (80) must be greater than start (90)',
  ]);
  assert.deepEqual(rbacErrors(policy([{ destination_port_range: { start: 1, end: 65537 } }])), [
    'rbac.policies["p"].permissions[0].destination_port_range.end: 65537 is out of range; must be in 0–65536',
  ]);
  assert.deepEqual(rbacErrors(policy(ANY, [{ remote_ip: { address_prefix: 'ten.0.0.1', prefix_len: 8 } }])), [
    'rbac.policies["p"].principals[0].remote_ip.address_prefix: "ten.0.0.1" is not an IP address',
  ]);
  assert.deepEqual(rbacErrors(policy(ANY, [{ source_ip: { address_prefix: '10.0.0.0', prefix_len: 33 } }])), [
    'rbac.policies["p"].principals[0].source_ip.prefix_len: 33 is out of range; must be in 0–32',
  ]);
});

test('rbac validate: matchers inside rules report their own paths', () => {
  assert.deepEqual(rbacErrors(policy([{ header: { name: 'x', string_match: { safe_regex: { regex: '(' } } } }])).length, 1);
  assert.match(rbacErrors(policy([{ header: { name: 'x', string_match: { safe_regex: { regex: '(' } } } }]))[0]!, /^rbac\.policies\["p"\]\.permissions\[0\]\.header\.string_match\.safe_regex\.regex: invalid RE2 regex "\("/);
  assert.deepEqual(rbacErrors(policy([{ url_path: {} }])), ['rbac.policies["p"].permissions[0].url_path.path: is required']);
  assert.deepEqual(rbacErrors(policy([{ url_path: { path: { prefix: '' } } }])), ['rbac.policies["p"].permissions[0].url_path.path.prefix: must not be empty']);
  assert.deepEqual(rbacErrors(policy([{ requested_server_name: { custom: {} } }])), [
    'rbac.policies["p"].permissions[0].requested_server_name.custom: custom is not supported by trellis',
    'rbac.policies["p"].permissions[0].requested_server_name: one of exact, prefix, suffix, contains, safe_regex is required',
  ]);
});

test('rbac validate: metadata matchers', () => {
  const at = 'rbac.policies["p"].permissions[0].metadata';
  assert.deepEqual(rbacErrors(policy([{ metadata: { path: [{ key: 'a' }], value: { present_match: true } } }])), [`${at}.filter: is required`]);
  assert.deepEqual(rbacErrors(policy([{ metadata: { filter: 'f', path: [], value: { present_match: true } } }])), [`${at}.path: needs at least one segment`]);
  assert.deepEqual(rbacErrors(policy([{ metadata: { filter: 'f', path: [{ key: 'a' }] } }])), [`${at}.value: is required`]);
  assert.deepEqual(rbacErrors(policy([{ metadata: { filter: 'f', path: [{ key: '' }], value: { bool_match: true } } }])), [`${at}.path[0].key: must not be empty`]);
  assert.deepEqual(rbacErrors(policy([{ metadata: { filter: 'f', path: [{ key: 'a' }], value: { or_match: { value_matchers: [{ bool_match: true }] } } } }])), [
    `${at}.value.or_match.value_matchers: needs at least 2 matchers`,
  ]);
  assert.deepEqual(rbacErrors(policy([{ metadata: { filter: 'f', path: [{ key: 'a' }], value: { double_match: { exact: 'x' } } } }])), [
    `${at}.value.double_match.exact: expected a number, got string "x"`,
  ]);
  assert.deepEqual(rbacErrors(policy([{ sourced_metadata: { metadata_matcher: { filter: 'f', path: [{ key: 'a' }], value: { present_match: true } }, metadata_source: 'ROUTE' } }])), [
    'rbac.policies["p"].permissions[0].sourced_metadata.metadata_source: ROUTE is not supported by trellis (route metadata is not kept); use DYNAMIC',
  ]);
});

test('rbac validate: nesting deeper than protobuf recursion limit is refused, not a stack overflow', () => {
  let rule: object = { any: true };
  for (let i = 0; i < 150; i++) rule = { not_rule: rule };
  const errs = rbacErrors(policy([rule]));
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /nested more than 100 levels deep$/);
});
