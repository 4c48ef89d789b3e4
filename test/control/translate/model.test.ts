// Translate tests: node metadata parsing (Envoy/trellis proxies, Istio node ids, grpc-js-xds clients) and cluster naming.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { META, proxyNodeFromNode } from '../../../src/control/model/proxy-node.js';
import { inboundClusterName, outboundClusterName, parseClusterName } from '../../../src/control/translate/names.js';
import { durationJson, fractionalPercent, istioDuration } from '../../../src/control/translate/envoy.js';

describe('proxyNodeFromNode', () => {
  it('reads trellis metadata', () => {
    const p = proxyNodeFromNode({
      id: 'reviews-v1-abc',
      cluster: 'reviews',
      metadata: {
        [META.NAMESPACE]: 'prod',
        [META.LABELS]: { app: 'reviews', version: 'v1' },
        [META.INSTANCE_IPS]: '10.0.0.5,fd00::5',
        [META.SERVICE_ACCOUNT]: 'bookinfo-reviews',
        [META.TRELLIS_SERVICE]: 'reviews',
        [META.TRELLIS_SERVICE_PORT]: 9080,
        [META.TRELLIS_APP_PORT]: '9081',
        [META.TRELLIS_OUTBOUND_PORT]: 25001,
        [META.TRELLIS_PROMETHEUS_PORT]: '15090',
        [META.PROXY_TYPE]: 'sidecar',
      },
      locality: { region: 'us-east', zone: 'a' },
    });
    assert.deepEqual(p, {
      id: 'reviews-v1-abc',
      type: 'sidecar',
      namespace: 'prod',
      labels: { app: 'reviews', version: 'v1' },
      ip: '10.0.0.5',
      serviceAccount: 'bookinfo-reviews',
      outboundPort: 25001,
      inboundPort: 15006,
      workloadName: 'reviews-v1',
      prometheusPort: 15090,
      serviceName: 'reviews',
      servicePort: 9080,
      appPort: 9081,
      locality: { region: 'us-east', zone: 'a', subzone: '' },
    });
  });

  it('Istio node ids, string labels, routers and proxyless clients', () => {
    const p = proxyNodeFromNode({ id: 'router~10.1.1.1~ingress-xyz.istio-system~istio-system.svc.cluster.local', metadata: { LABELS: 'istio=ingressgateway' } });
    assert.equal(p.type, 'router');
    assert.equal(p.namespace, 'istio-system');
    assert.equal(p.workloadName, 'ingress-xyz', 'no app label, no WORKLOAD_NAME: the pod name of the node id');
    assert.equal(p.ip, '10.1.1.1');
    assert.deepEqual(p.labels, { istio: 'ingressgateway' });
    assert.equal(proxyNodeFromNode({ id: 'sidecar~10.0.0.9~client.default~default.svc.cluster.local', metadata: { GENERATOR: 'grpc' } }).type, 'proxyless');
    assert.equal(proxyNodeFromNode({ id: 'x', user_agent_name: 'gRPC Node.js' }).type, 'proxyless');
    assert.equal(proxyNodeFromNode({ id: 'x', metadata: { PROXY_TYPE: 'proxyless', NAMESPACE: 'ns1' } }).namespace, 'ns1');
    assert.equal(proxyNodeFromNode({ id: 'plain' }).namespace, 'default');
  });
});

describe('naming and encoding', () => {
  it("Istio's cluster names", () => {
    assert.equal(outboundClusterName(9080, 'v1', 'reviews.default.svc.cluster.local'), 'outbound|9080|v1|reviews.default.svc.cluster.local');
    assert.equal(outboundClusterName(9080, '', 'reviews.default.svc.cluster.local'), 'outbound|9080||reviews.default.svc.cluster.local');
    assert.equal(inboundClusterName(9080), 'inbound|9080||');
    assert.deepEqual(parseClusterName('outbound|9080|v1|reviews.default.svc.cluster.local'), { direction: 'outbound', port: 9080, subset: 'v1', host: 'reviews.default.svc.cluster.local' });
    assert.equal(parseClusterName('nope'), undefined);
  });

  it('durations and percents', () => {
    assert.equal(durationJson(0), '0s');
    assert.equal(durationJson(1500), '1.500s');
    assert.equal(istioDuration('100ms'), '0.100s');
    assert.equal(istioDuration('1m'), '60s');
    assert.deepEqual(fractionalPercent(0.1), { numerator: 1000, denominator: 'MILLION' });
  });
});
