// Common tests: CEL attribute expressions — checked once (syntax, attribute roots, length), evaluated with errors as false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { celExpressionError, compileCelPredicate, MAX_CEL_LENGTH } from '../../src/common/cel.js';

const roots = (over: Record<string, Map<string, unknown>> = {}): Record<string, Map<string, unknown>> => ({
  request: new Map<string, unknown>([['url_path', '/api/v1'], ['headers', new Map([['x-debug', 'true']])]]),
  response: new Map<string, unknown>([['code', 503n]]),
  connection: new Map<string, unknown>([['mtls', true]]),
  ...over,
});

test('expressions over Envoy attributes evaluate: comparisons, headers, string functions, RE2 matches, macros', () => {
  const yes = [
    'response.code >= 400',
    "request.headers['x-debug'] == 'true'",
    "request.url_path.startsWith('/api') && connection.mtls",
    "request.url_path.matches('^/api/v[0-9]+$')",
    "!(response.code < 500) || xds.cluster_name == 'x'",
    "['a', 'b'].exists(v, v == 'b')",
    "has(request.headers) && 'x-debug' in request.headers",
  ];
  for (const e of yes) assert.equal(compileCelPredicate(e)(roots()), true, e);
  assert.equal(compileCelPredicate('response.code >= 400')(roots({ response: new Map([['code', 200n]]) })), false);
});

test('an evaluation error (missing key, wrong type) is false, never a throw', () => {
  assert.equal(compileCelPredicate("request.headers['absent'] == 'x'")(roots()), false);
  assert.equal(compileCelPredicate('response.code')(roots()), false, 'a non-boolean result is not true');
  assert.equal(compileCelPredicate("response.code == 'x'")(roots()), false);
  assert.equal(compileCelPredicate('xds.cluster_name == "a"')(roots()), false, 'an unbound root');
});

test('syntax errors, unknown roots and over-long expressions are refused with a reason', () => {
  assert.match(celExpressionError('response.code >= ')!, /invalid CEL expression/);
  assert.match(celExpressionError('resp.code >= 400')!, /"resp".*not an attribute/);
  assert.match(celExpressionError('')!, /empty/);
  assert.match(celExpressionError(`response.code == 1 ${'|| true '.repeat(MAX_CEL_LENGTH)}`)!, /longer than/);
  assert.equal(celExpressionError("[1, 2].all(x, x > 0) && request.headers['a'] == 'b'"), undefined, 'macro variables are not attributes');
  assert.throws(() => compileCelPredicate('nope == 1'), /not an attribute/);
});

test('property: any string is either refused with a message or compiles to a predicate that never throws', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^[a-z.()'"=<>!&| 0-9[\]]{0,60}$/)), (s) => {
      const why = celExpressionError(s);
      if (why !== undefined) return typeof why === 'string' && why.length > 0;
      const p = compileCelPredicate(s);
      return typeof p(roots()) === 'boolean';
    }),
    { numRuns: 400 },
  );
});

test('deep nesting within the length bound does not crash the parser', () => {
  const deep = `${'('.repeat(1500)}true${')'.repeat(1500)}`;
  const why = celExpressionError(deep);
  assert.ok(why === undefined || typeof why === 'string');
});
