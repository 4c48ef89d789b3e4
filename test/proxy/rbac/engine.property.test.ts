// RBAC engine properties (fast-check): ALLOW/DENY/LOG duality, boolean laws of and/or/not, url_path ignoring the
// query, and the metadata walker on arbitrary JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attrs, engine, onePolicy, req } from './helpers.js';
import { metadataValue } from '../../../src/proxy/rbac/metadata-matcher.js';
import type { RbacAttributes } from '../../../src/proxy/rbac/attributes.js';

const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE');
const segment = fc.constantFrom('a', 'admin', 'api', 'v1', 'x');
const pathArb = fc.array(segment, { maxLength: 3 }).map((s) => '/' + s.join('/'));
const suffixArb = fc.oneof(fc.constant(''), fc.string({ maxLength: 8 }).map((s) => '?' + s), fc.string({ maxLength: 8 }).map((s) => '#' + s));
const ipArb = fc.oneof(fc.ipV4(), fc.constant('::1'), fc.constant('127.0.0.1'));

const attrsArb: fc.Arbitrary<RbacAttributes> = fc
  .record({ method: methods, path: pathArb, suffix: suffixArb, team: fc.option(fc.constantFrom('red', 'blue')), ip: ipArb, port: fc.integer({ min: 1, max: 65535 }) })
  .map((r) => attrs({ request: req({ method: r.method, path: r.path + r.suffix, headers: r.team === null ? {} : { 'x-team': r.team } }), remoteIp: r.ip, destinationPort: r.port }));

/** Leaf permissions over the attributes above. */
const leafArb = fc.oneof(
  methods.map((m) => ({ header: { name: ':method', string_match: { exact: m } } })),
  segment.map((s) => ({ url_path: { path: { prefix: '/' + s } } })),
  fc.constantFrom('red', 'blue').map((t) => ({ header: { name: 'x-team', string_match: { exact: t } } })),
  fc.integer({ min: 0, max: 32 }).map((len) => ({ destination_ip: { address_prefix: '192.168.1.1', prefix_len: len } })),
  fc.integer({ min: 1, max: 65535 }).map((p) => ({ destination_port_range: { start: p, end: Math.min(p + 30000, 65536) } })),
  fc.constant({ any: true }),
);

const ruleArb: fc.Arbitrary<object> = fc.letrec<{ rule: object }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    tie('rule').map((r) => ({ not_rule: r })),
    fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((rules) => ({ and_rules: { rules } })),
    fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((rules) => ({ or_rules: { rules } })),
  ),
})).rule;

function matches(rule: object, a: RbacAttributes): boolean {
  return onePolicy('ALLOW', [rule]).evaluate(a).allowed;
}

test('rbac property: DENY is ALLOW negated and LOG always allows, hinting ALLOW\'s answer', () => {
  fc.assert(
    fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 3 }), attrsArb, (rules, a) => {
      const allow = onePolicy('ALLOW', rules).evaluate(a);
      const deny = onePolicy('DENY', rules).evaluate(a);
      const log = onePolicy('LOG', rules).evaluate(a);
      assert.equal(deny.allowed, !allow.allowed);
      assert.equal(log.allowed, true);
      assert.equal(log.logHint, allow.allowed);
      assert.equal(allow.matchedPolicy, allow.allowed ? 'p' : undefined);
    }),
    { numRuns: 300 },
  );
});

test('rbac property: not / and / or obey boolean laws; permissions in a policy are OR-ed', () => {
  fc.assert(
    fc.property(ruleArb, ruleArb, attrsArb, (x, y, a) => {
      const mx = matches(x, a);
      const my = matches(y, a);
      assert.equal(matches({ not_rule: x }, a), !mx);
      assert.equal(matches({ not_rule: { not_rule: x } }, a), mx);
      assert.equal(matches({ and_rules: { rules: [x, y] } }, a), mx && my);
      assert.equal(matches({ or_rules: { rules: [x, y] } }, a), mx || my);
      assert.equal(onePolicy('ALLOW', [x, y]).evaluate(a).allowed, mx || my);
    }),
    { numRuns: 300 },
  );
});

test('rbac property: url_path sees the path without query or fragment, :path sees all of it', () => {
  fc.assert(
    fc.property(pathArb, suffixArb, (p, q) => {
      const a = attrs({ request: req({ path: p + q }) });
      assert.equal(matches({ url_path: { path: { exact: p } } }, a), true);
      assert.equal(matches({ header: { name: ':path', string_match: { exact: p } } }, a), q === '');
    }),
  );
});

test('rbac property: the metadata walker never throws and present_match agrees with it', () => {
  const keysArb = fc.array(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor'), { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.jsonValue({ maxDepth: 4 })), keysArb, (ns, keys) => {
      const md = { f: ns as Record<string, unknown> };
      const v = metadataValue(md, 'f', keys);
      const e = engine({ action: 'ALLOW', policies: { p: { permissions: [{ metadata: { filter: 'f', path: keys.map((key) => ({ key })), value: { present_match: true } } }], principals: [{ any: true }] } } });
      assert.equal(e.evaluate(attrs({ dynamicMetadata: md })).allowed, v !== undefined);
    }),
    { numRuns: 300 },
  );
  // inherited properties are not metadata
  assert.equal(metadataValue({ f: { a: {} } }, 'f', ['a', 'constructor']), undefined);
  assert.equal(metadataValue({ f: { a: {} } }, 'f', ['__proto__']), undefined);
});
