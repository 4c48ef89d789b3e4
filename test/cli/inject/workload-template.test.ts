// Unit: cli/inject/workload-template — what a stored workload and Service say about labels, identity and ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsFlag, servicePortOf, workloadTemplate } from '../../../src/cli/inject/workload-template.js';
import type { Service } from '../../../src/api/types.js';

const deployment = {
  kind: 'Deployment',
  metadata: { name: 'reviews-v2', labels: { team: 'books' } },
  spec: {
    template: {
      metadata: { labels: { app: 'reviews', version: 'v2' }, annotations: { 'prometheus.io/port': '9090', 'prometheus.io/path': '/m' } },
      spec: { serviceAccountName: 'bookinfo-reviews', containers: [{ name: 'sidecar-less' }, { name: 'reviews', ports: [{ containerPort: 9080, name: 'http' }] }] },
    },
  },
};

test('a Deployment gives its pod template: labels (not its own), service account, the first ports, the metrics annotations', () => {
  assert.deepEqual(workloadTemplate(deployment), {
    labels: { app: 'reviews', version: 'v2' },
    serviceAccount: 'bookinfo-reviews',
    containerPorts: [{ containerPort: 9080, name: 'http' }],
    appMetrics: { port: 9090, path: '/m' },
  });
});

test('a Pod is its own template; the deprecated serviceAccount still counts; nothing stated gives nothing', () => {
  const pod = { kind: 'Pod', metadata: { name: 'p', labels: { app: 'ratings' } }, spec: { serviceAccount: 'old', containers: [{ name: 'c' }] } };
  assert.deepEqual(workloadTemplate(pod), { labels: { app: 'ratings' }, serviceAccount: 'old', containerPorts: [] });
  assert.deepEqual(workloadTemplate({ kind: 'StatefulSet', metadata: { name: 's' }, spec: {} }), { labels: {}, containerPorts: [] });
});

const svc = (ports: NonNullable<Service['spec']>['ports']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports } }) as Service;

test('the service port is the one targeting a container port (by number or name), else the first; without a Service the container port', () => {
  const ports = [{ containerPort: 9080, name: 'http' }];
  assert.equal(servicePortOf(svc([{ port: 15000, targetPort: 1 }, { port: 80, targetPort: 9080 }]), ports), 80);
  assert.equal(servicePortOf(svc([{ port: 15000, targetPort: 1 }, { port: 81, targetPort: 'http' }]), ports), 81);
  assert.equal(servicePortOf(svc([{ port: 9080 }]), ports), 9080);
  assert.equal(servicePortOf(svc([{ port: 7000, targetPort: 1 }]), ports), 7000);
  assert.equal(servicePortOf(undefined, ports), 9080);
  assert.equal(servicePortOf(undefined, []), undefined);
});

test('flag labels win over the template', () => {
  assert.equal(labelsFlag({ app: 'a', version: 'v1' }, { version: 'v2', extra: 'x' }), 'app=a,version=v2,extra=x');
});
