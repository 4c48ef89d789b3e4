// Tests for the write guard: simple-request content types refused (415), foreign Origin refused (403), JSON/YAML from the own origin or none pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkWriteRequest, isWriteMethod, mediaType } from '../../../src/control/auth/write-guard.js';
import { HttpError } from '../../../src/control/http/io.js';

const HOST = '127.0.0.1:15014';
const status = (headers: Record<string, string>): number => {
  try {
    checkWriteRequest({ headers: { host: HOST, ...headers } });
    return 200;
  } catch (e) {
    assert.ok(e instanceof HttpError);
    return e.status;
  }
};

test('write methods: everything but GET, HEAD and OPTIONS', () => {
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', undefined]) assert.equal(isWriteMethod(m), true, String(m));
  for (const m of ['GET', 'HEAD', 'OPTIONS']) assert.equal(isWriteMethod(m), false, m);
});

test('media type: parameters and case dropped', () => {
  assert.equal(mediaType('Application/JSON; charset=utf-8'), 'application/json');
  assert.equal(mediaType(undefined), '');
  assert.equal(mediaType(' text/plain ;x=y'), 'text/plain');
});

test('JSON and YAML bodies pass; simple-request types and no type are 415', () => {
  assert.equal(status({ 'content-type': 'application/json' }), 200);
  assert.equal(status({ 'content-type': 'application/json; charset=utf-8' }), 200);
  assert.equal(status({ 'content-type': 'application/yaml' }), 200);
  for (const t of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
    assert.equal(status(t === '' ? {} : { 'content-type': t }), 415, t);
  }
});

test('Origin: absent or this API\'s own passes; any other (or "null") is 403, before the content type is looked at', () => {
  assert.equal(status({ 'content-type': 'application/json', origin: `http://${HOST}` }), 200);
  assert.equal(status({ 'content-type': 'application/json', origin: `https://${HOST}` }), 200);
  for (const o of ['https://evil.example', 'null', 'http://127.0.0.1:15015', 'http://127.0.0.1', `http://${HOST}.evil.example`]) {
    assert.equal(status({ 'content-type': 'application/json', origin: o }), 403, o);
    assert.equal(status({ 'content-type': 'text/plain', origin: o }), 403, o);
  }
});

test('no content type outside application/json|yaml passes, and the check never throws anything but an HttpError (property)', () => {
  fc.assert(
    fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (ct, origin) => {
      const s = status({ 'content-type': ct, ...(origin !== undefined ? { origin } : {}) });
      if (s === 200) assert.ok(['application/json', 'application/yaml', 'application/x-yaml'].includes(mediaType(ct)));
      assert.ok([200, 403, 415].includes(s));
    }),
  );
});
