// Tests for Istio host semantics and duration parsing used across the API stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fqdn, hostCovers, hostSyntaxError, hostsOverlap } from '../../src/api/hosts.js';
import { durationError, parseDuration } from '../../src/api/duration.js';

test('fqdn: short names join the namespace; name.ns expands when ns is known; others stay', () => {
  assert.equal(fqdn('reviews', 'default'), 'reviews.default.svc.cluster.local');
  assert.equal(fqdn('reviews.prod', 'default', new Set(['prod'])), 'reviews.prod.svc.cluster.local');
  assert.equal(fqdn('reviews.prod.svc', 'default', new Set(['prod'])), 'reviews.prod.svc.cluster.local');
  assert.equal(fqdn('example.com', 'default', new Set(['prod'])), 'example.com');
  assert.equal(fqdn('Reviews.Default.svc.cluster.local', 'x'), 'reviews.default.svc.cluster.local');
  assert.equal(fqdn('*.example.com', 'default'), '*.example.com');
  assert.equal(fqdn('*', 'default'), '*');
});

test('wildcards: "*" covers all, "*.a.com" covers sub-names and narrower wildcards but not a.com', () => {
  assert.ok(hostCovers('*', 'x.y'));
  assert.ok(hostCovers('*.a.com', 'b.a.com'));
  assert.ok(hostCovers('*.a.com', 'c.b.a.com'));
  assert.ok(hostCovers('*.a.com', '*.b.a.com'));
  assert.ok(!hostCovers('*.a.com', 'a.com'));
  assert.ok(!hostCovers('*.b.a.com', '*.a.com'));
  assert.ok(hostsOverlap('*.b.a.com', '*.a.com'));
  assert.ok(!hostCovers('a.com', 'b.a.com'));
});

test('host syntax', () => {
  assert.equal(hostSyntaxError('reviews.default.svc.cluster.local'), undefined);
  assert.equal(hostSyntaxError('*.example.com'), undefined);
  assert.match(hostSyntaxError('a.*.com')!, /leading label/);
  assert.match(hostSyntaxError('*foo.com')!, /leading label/);
  assert.match(hostSyntaxError('*', { allowWildcard: false })!, /not allowed/);
  assert.match(hostSyntaxError('10.0.0.1')!, /not an IP/);
  assert.equal(hostSyntaxError('10.0.0.1', { allowIP: true }), undefined);
  assert.match(hostSyntaxError('-bad.com')!, /not a valid DNS label/);
});

test('durations as Istio writes them', () => {
  assert.equal(parseDuration('1s'), 1000);
  assert.equal(parseDuration('100ms'), 100);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('1h2m'), 3_720_000);
  assert.equal(parseDuration('5'), undefined);
  assert.equal(parseDuration('-1s'), undefined);
  assert.equal(durationError('1ms'), undefined);
  assert.match(durationError('0s')!, /at least 1ms/);
  assert.equal(durationError('0s', 0), undefined);
  assert.match(durationError('1500us')!, /ms precision/);
  assert.match(durationError(5)!, /duration string/);
});
