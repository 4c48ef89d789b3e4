// Translate tests: Istio's root/delegate match merge — which delegate blocks fit inside a root block, and what the merged block holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchConflict, mergeMatch, mergeMatches, stringMatchConflict } from '../../../src/control/translate/delegate-match.js';

test('string matches: exact==exact, prefix under prefix, exact under prefix fit; regex and the rest conflict', () => {
  const cases: [object | undefined, object | undefined, boolean][] = [
    [{ prefix: '/api' }, { prefix: '/api/v2' }, false],
    [{ prefix: '/api' }, { exact: '/api/x' }, false],
    [{ prefix: '/api/v2' }, { prefix: '/api' }, true],
    [{ prefix: '/api' }, { prefix: '/other' }, true],
    [{ exact: '/a' }, { exact: '/a' }, false],
    [{ exact: '/a' }, { exact: '/b' }, true],
    [{ exact: '/a' }, { prefix: '/a' }, true],
    [{ regex: '/a.*' }, { prefix: '/a' }, true],
    [{ prefix: '/a' }, { regex: '/a.*' }, true],
    [{ prefix: '/a' }, {}, true],
    [undefined, { regex: 'x' }, false],
    [{ prefix: '/a' }, undefined, false],
  ];
  for (const [root, leaf, conflict] of cases) assert.equal(stringMatchConflict(root, leaf), conflict, `${JSON.stringify(root)} vs ${JSON.stringify(leaf)}`);
});

test('block conflicts: headers, query params, ignoreUriCase, port, sourceNamespace, sourceLabels, gateways', () => {
  assert.equal(matchConflict({ headers: { a: { exact: '1' } } }, { headers: { a: { exact: '2' } } }), true);
  assert.equal(matchConflict({ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }), false);
  assert.equal(matchConflict({ queryParams: { q: { prefix: 'x' } } }, { queryParams: { q: { exact: 'xy' } } }), false);
  assert.equal(matchConflict({ ignoreUriCase: true }, {}), true);
  assert.equal(matchConflict({ port: 80 }, { port: 81 }), true);
  assert.equal(matchConflict({ port: 80 }, {}), false);
  // Istio: a root sourceNamespace must be repeated by the delegate block
  assert.equal(matchConflict({ sourceNamespace: 'a' }, {}), true);
  assert.equal(matchConflict({ sourceNamespace: 'a' }, { sourceNamespace: 'a' }), false);
  assert.equal(matchConflict({ sourceLabels: { app: 'x' } }, { sourceLabels: { app: 'y' } }), true);
  assert.equal(matchConflict({ gateways: ['ns/a'] }, { gateways: ['ns/b'] }), true);
  assert.equal(matchConflict({ gateways: ['ns/a', 'mesh'] }, { gateways: ['mesh'] }), false);
});

test('merged block: delegate conditions first, root ones fill the gaps, maps united, names joined', () => {
  const m = mergeMatch(
    { name: 'r', uri: { prefix: '/api' }, method: { exact: 'GET' }, headers: { a: { exact: '1' } }, port: 80, gateways: ['ns/gw'] },
    { name: 'd', uri: { prefix: '/api/v2' }, headers: { b: { exact: '2' } } },
  );
  assert.deepEqual(m, {
    name: 'r-d',
    uri: { prefix: '/api/v2' },
    method: { exact: 'GET' },
    headers: { a: { exact: '1' }, b: { exact: '2' } },
    port: 80,
    gateways: ['ns/gw'],
  });
});

test('block lists: an empty side yields the other; a delegate block fitting no root block drops the route', () => {
  assert.deepEqual(mergeMatches(undefined, [{ uri: { prefix: '/x' } }]), [{ uri: { prefix: '/x' } }]);
  assert.deepEqual(mergeMatches([{ uri: { prefix: '/x' } }], []), [{ uri: { prefix: '/x' } }]);
  assert.equal(mergeMatches([{ uri: { prefix: '/a' } }], [{ uri: { prefix: '/a/1' } }, { uri: { prefix: '/b' } }]), undefined);
  assert.deepEqual(mergeMatches([{ uri: { prefix: '/a' } }, { uri: { prefix: '/a/1' } }], [{ uri: { prefix: '/a/1/x' } }]), [
    { uri: { prefix: '/a/1/x' } },
    { uri: { prefix: '/a/1/x' } },
  ]);
});
