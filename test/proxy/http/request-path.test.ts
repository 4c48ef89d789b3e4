// HTTP tests: path_with_escaped_slashes_action (before normalize_path / merge_slashes) with example and property tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sanitizePath, type EscapedSlashesAction, type PathOptions } from '../../../src/proxy/http/request-path.js';

const opts = (escapedSlashes: EscapedSlashesAction, normalizePath = false, mergeSlashes = false): PathOptions => ({ escapedSlashes, normalizePath, mergeSlashes });

test('KEEP_UNCHANGED (and the implementation default) leave %2F and %5C alone', () => {
  for (const a of ['KEEP_UNCHANGED', 'IMPLEMENTATION_SPECIFIC_DEFAULT'] as const) {
    assert.deepEqual(sanitizePath('/a%2Fb%5cc', opts(a)), { path: '/a%2Fb%5cc', verdict: 'continue' });
  }
});

test('REJECT_REQUEST rejects %2F / %5C in any case, but only in the path, not the query', () => {
  assert.equal(sanitizePath('/a%2fb', opts('REJECT_REQUEST')).verdict, 'reject');
  assert.equal(sanitizePath('/a%5Cb', opts('REJECT_REQUEST')).verdict, 'reject');
  assert.deepEqual(sanitizePath('/a/b?next=%2Fhome', opts('REJECT_REQUEST')), { path: '/a/b?next=%2Fhome', verdict: 'continue' });
});

test('UNESCAPE_AND_FORWARD unescapes, then normalize_path and merge_slashes see the slashes', () => {
  assert.deepEqual(sanitizePath('/a%2Fb%5Cc?q=%2F', opts('UNESCAPE_AND_FORWARD')), { path: '/a/b\\c?q=%2F', verdict: 'continue' });
  assert.deepEqual(sanitizePath('/public%2F..%2Fadmin', opts('UNESCAPE_AND_FORWARD', true)), { path: '/admin', verdict: 'continue' });
  assert.deepEqual(sanitizePath('/a%2F%2Fb', opts('UNESCAPE_AND_FORWARD', false, true)), { path: '/a/b', verdict: 'continue' });
});

test('UNESCAPE_AND_REDIRECT redirects to the fully sanitized path, only when something was unescaped', () => {
  assert.deepEqual(sanitizePath('/x%2F..%2Fy?z=1', opts('UNESCAPE_AND_REDIRECT', true)), { path: '/y?z=1', verdict: 'redirect' });
  assert.deepEqual(sanitizePath('/x/../y', opts('UNESCAPE_AND_REDIRECT', true)), { path: '/y', verdict: 'continue' });
});

const pathChars = fc.constantFrom('a', 'b', '/', '.', '%2F', '%2f', '%5C', '%5c', '%41', '%', '~', '?', '=');
const rawPath = fc.array(pathChars, { maxLength: 30 }).map((cs) => '/' + cs.join(''));

test('property: after UNESCAPE_* the path part holds no escaped slash, the query is untouched, and the verdict says whether one was there', () => {
  fc.assert(
    fc.property(rawPath, fc.constantFrom('UNESCAPE_AND_FORWARD', 'UNESCAPE_AND_REDIRECT') as fc.Arbitrary<EscapedSlashesAction>, (p, action) => {
      const q = p.indexOf('?');
      const before = q < 0 ? p : p.slice(0, q);
      const r = sanitizePath(p, opts(action));
      const rq = r.path.indexOf('?');
      const after = rq < 0 ? r.path : r.path.slice(0, rq);
      assert.doesNotMatch(after, /%(2f|5c)/i);
      assert.equal(rq < 0 ? '' : r.path.slice(rq), q < 0 ? '' : p.slice(q));
      const had = /%(2f|5c)/i.test(before);
      assert.equal(r.verdict, had && action === 'UNESCAPE_AND_REDIRECT' ? 'redirect' : 'continue');
    }),
  );
});

test('property: REJECT_REQUEST rejects exactly the paths with an escaped slash before the query, and changes nothing else', () => {
  fc.assert(
    fc.property(rawPath, (p) => {
      const q = p.indexOf('?');
      const had = /%(2f|5c)/i.test(q < 0 ? p : p.slice(0, q));
      const r = sanitizePath(p, opts('REJECT_REQUEST'));
      assert.equal(r.verdict, had ? 'reject' : 'continue');
      assert.equal(r.path, p);
    }),
  );
});
