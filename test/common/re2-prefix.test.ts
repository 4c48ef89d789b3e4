// Test: the required literal prefix read off an RE2 source (the full-match fast fail) — examples and a soundness property.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { requiredPrefix } from '../../src/common/re2-prefix.js';

test('requiredPrefix: the leading plain characters without a quantifier', () => {
  assert.equal(requiredPrefix('/svc1/api3/[0-9]+'), '/svc1/api3/');
  assert.equal(requiredPrefix('^/api/v1/.*$'), '/api/v1/');
  assert.equal(requiredPrefix('\\A/a'), '/a');
  assert.equal(requiredPrefix('ab*'), 'a');
  assert.equal(requiredPrefix('ab{2}'), 'a');
  assert.equal(requiredPrefix('ab?'), 'a');
  assert.equal(requiredPrefix('a\\.b\\\\c\\d'), 'a.b\\c');
  assert.equal(requiredPrefix('a\\.+'), 'a');
  // Constructs that add no atom do not shield the literal before them from a quantifier after them.
  assert.equal(requiredPrefix('ab(?i)*'), 'a');
  assert.equal(requiredPrefix('ab\\Q\\E*'), ''); // matches "a": \Q…\E is not modelled at all
  // Alternation inside a group leaves the pattern one concatenation.
  assert.equal(requiredPrefix('^/api/v[0-9]+/(users|orders)/.*$'), '/api/v');
  assert.equal(requiredPrefix('/a[|(]x|'), '');
  assert.equal(requiredPrefix('/a[]|]x'), '/a');
  for (const none of ['/a|/b', '/a(b)|c', '/a[(]|b', '/a\\(|b', '/a\\Q(\\E|b', '/a[[:alpha:](]|b', '/a[^]|]|b', '(?i)abc', '[ab]c', '.x', '\\pLx', '\\Qab\\E', 'éa', '^*a', '(/a)']) assert.equal(requiredPrefix(none), '', none);
});

test('property: every full match starts with the required prefix', () => {
  const token = fc.constantFrom('a', 'b', '/', '\\.', '.', '*', '+', '?', '(', ')', '|', '[ab]', '{2}', '^', '$', '\\\\', '(?i)', '(?-i)', '(?:)', '\\Q', '\\E', '\\A', '\\(', '[(]', '[|]', '[]|]', '[^]|]', '[[:alpha:](]', '[\\]|]');
  const text = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '/', '.', '\\'), maxLength: 6 });
  fc.assert(
    fc.property(fc.array(token, { minLength: 1, maxLength: 6 }).map((t) => t.join('')), fc.array(text, { minLength: 1, maxLength: 8 }), (src, inputs) => {
      let re: RE2JS;
      try {
        re = RE2JS.compile(src);
      } catch {
        return; // not a regex RE2 takes
      }
      const prefix = requiredPrefix(src);
      for (const s of [...inputs, ...inputs.map((x) => prefix + x)]) {
        if (re.testExact(s)) assert.ok(s.startsWith(prefix), `${JSON.stringify(src)} matched ${JSON.stringify(s)} without prefix ${JSON.stringify(prefix)}`);
      }
    }),
    { numRuns: 5000 },
  );
});
