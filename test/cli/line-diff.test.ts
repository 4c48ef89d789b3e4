// Tests for the unified diff used by `trellis diff`: hunk headers and context as diff -u prints them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unifiedHunks } from '../../src/cli/line-diff.js';

const lines = (n: number, change?: [number, string]): string =>
  Array.from({ length: n }, (_, i) => (change !== undefined && change[0] === i + 1 ? change[1] : `line ${i + 1}`)).join('\n') + '\n';

test('equal texts give no hunks', () => {
  assert.equal(unifiedHunks('a\nb\n', 'a\nb\n'), '');
});

test('one changed line in the middle: 3 lines of context each side', () => {
  assert.equal(
    unifiedHunks(lines(20), lines(20, [10, 'changed'])),
    '@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+changed\n line 11\n line 12\n line 13\n',
  );
});

test('distant changes make separate hunks; added and removed files count from 0', () => {
  const out = unifiedHunks(lines(30, [2, 'x']), lines(30, [28, 'y']));
  assert.equal(out.match(/^@@/gm)?.length, 2);
  assert.match(out, /^@@ -1,5 \+1,5 @@$/m);
  assert.equal(unifiedHunks('', 'a\nb\n'), '@@ -0,0 +1,2 @@\n+a\n+b\n');
  assert.equal(unifiedHunks('a\n', ''), '@@ -1,1 +0,0 @@\n-a\n');
});
