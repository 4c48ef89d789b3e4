// Tests for which proxy a CLI reference names: full id, pod.namespace, pod, WORKLOAD.NAMESPACE, unique prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveProxy } from '../../src/cli/proxy-names.js';
import type { ProxyInfo } from '../../src/cli/api-types.js';

const proxy = (pod: string, workload: string, namespace = 'default'): ProxyInfo => ({
  id: `sidecar~127.0.0.1~${pod}.${namespace}~${namespace}.svc.cluster.local`,
  name: `${pod}.${namespace}`,
  workload,
  namespace,
});
const PROXIES = [
  proxy('productpage-v1-k7x2q', 'productpage-v1'),
  proxy('reviews-v1-b4n8z', 'reviews-v1'),
  proxy('reviews-v2-c9d2f', 'reviews-v2'),
  proxy('reviews-v2-m3p5t', 'reviews-v2'),
  proxy('ratings-v1-q2w7r', 'ratings-v1', 'shop'),
];
const pick = (ref: string): string => resolveProxy(PROXIES, ref).name!;

test('every form istioctl and kubectl users type names the same proxy', () => {
  assert.equal(pick(PROXIES[0]!.id), 'productpage-v1-k7x2q.default', 'the full node id');
  assert.equal(pick('productpage-v1-k7x2q.default'), 'productpage-v1-k7x2q.default', 'pod.namespace, as proxy-status shows it');
  assert.equal(pick('productpage-v1-k7x2q'), 'productpage-v1-k7x2q.default', 'the pod alone');
  assert.equal(pick('productpage-v1.default'), 'productpage-v1-k7x2q.default', 'WORKLOAD.NAMESPACE');
  assert.equal(pick('ratings-v1.shop'), 'ratings-v1-q2w7r.shop');
  assert.equal(pick('prod'), 'productpage-v1-k7x2q.default', 'a unique prefix');
});

test('an ambiguous or unknown reference says which proxies it could be', () => {
  assert.throws(() => resolveProxy(PROXIES, 'reviews-v2.default'), /"reviews-v2\.default" matches 2 proxies: reviews-v2-c9d2f\.default, reviews-v2-m3p5t\.default; name one/);
  assert.throws(() => resolveProxy(PROXIES, 'reviews'), /matches 3 proxies/);
  assert.throws(() => resolveProxy(PROXIES, 'details'), /no connected proxy "details"/);
  assert.equal(pick('reviews-v2-m'), 'reviews-v2-m3p5t.default');
});
