// HTTP: normalize_path and merge_slashes, applied to the request path before routing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from '../../../src/proxy/http/active-stream.js';

test('dot segments are removed (RFC 3986 §5.2.4) and the query is kept', () => {
  assert.equal(normalizePath('/a/b/../c/./d?x=/../y', true, false), '/a/c/d?x=/../y');
  assert.equal(normalizePath('/../../etc/passwd', true, false), '/etc/passwd');
  assert.equal(normalizePath('/a/b/..', true, false), '/a/');
  assert.equal(normalizePath('/a/.', true, false), '/a/');
});

test('percent-encoded unreserved characters are decoded, others kept (upper-cased)', () => {
  assert.equal(normalizePath('/%61dmin/%2e%2e/x%2fy', true, false), '/x%2Fy');
});

test('merge_slashes collapses runs of slashes; without the flags the path is untouched', () => {
  assert.equal(normalizePath('//a///b//c?q=//', false, true), '/a/b/c?q=//');
  assert.equal(normalizePath('/a/../b//c', true, true), '/b/c');
});
