// EndpointIndex tests: kept across changes it answers exactly what a fresh index answers, and keeps unchanged lists.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Service, ServiceEntry, WorkloadEntry } from '../../../src/api/types.js';
import type { RegisteredWorkload } from '../../../src/control/registry/types.js';
import { EndpointIndex } from '../../../src/control/snapshot/endpoint-index.js';

const NAMESPACES = ['a', 'b'];
const APPS = ['x', 'y', 'z'];

function service(name: string, ns: string, selector: Record<string, string> | undefined): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'grpc', port: 90 }] } };
}

function entry(name: string, ns: string, labels: Record<string, string>): ServiceEntry {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: ns },
    spec: { hosts: [`${name}.example`, `${name}-alt.example`], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], workloadSelector: { labels }, resolution: 'STATIC' },
  };
}

function workloadEntry(name: string, ns: string, address: string, labels: Record<string, string>): WorkloadEntry {
  return { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name, namespace: ns }, spec: { address, labels } };
}

function workload(name: string, ns: string, address: string, labels: Record<string, string>, serviceName?: string): RegisteredWorkload {
  const w: RegisteredWorkload = { key: `registry/workloads/${ns}/${name}`, name, namespace: ns, labels, serviceAccount: `sa-${name}`, address, port: 15006, proxyType: 'sidecar', weight: 1 };
  if (serviceName !== undefined) {
    w.serviceName = serviceName;
    w.servicePort = 80;
  }
  return w;
}

const labels = fc.record({ app: fc.constantFrom(...APPS), version: fc.constantFrom('v1', 'v2') }, { requiredKeys: ['app'] });
const ns = fc.constantFrom(...NAMESPACES);
// few names and addresses, so changes replace, remove and collide (two sources on one address)
const name = fc.constantFrom('p', 'q', 'r', 's');
const address = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3');

type Step =
  | { op: 'workload'; name: string; ns: string; address: string; labels: Record<string, string>; declares: boolean }
  | { op: 'workloadEntry'; name: string; ns: string; address: string; labels: Record<string, string> }
  | { op: 'service'; name: string; ns: string; selector: Record<string, string> | undefined }
  | { op: 'serviceEntry'; name: string; ns: string; labels: Record<string, string> }
  | { op: 'remove'; what: 'workload' | 'workloadEntry' | 'service' | 'serviceEntry'; name: string; ns: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('workload' as const), name, ns, address, labels, declares: fc.boolean() }),
  fc.record({ op: fc.constant('workloadEntry' as const), name, ns, address, labels }),
  fc.record({ op: fc.constant('service' as const), name: fc.constantFrom(...APPS), ns, selector: fc.option(labels, { nil: undefined }) }),
  fc.record({ op: fc.constant('serviceEntry' as const), name: fc.constantFrom(...APPS), ns, labels }),
  fc.record({ op: fc.constant('remove' as const), what: fc.constantFrom('workload' as const, 'workloadEntry' as const, 'service' as const, 'serviceEntry' as const), name: fc.oneof(name, fc.constantFrom(...APPS)), ns }),
);

/** The mesh as maps by `kind/ns/name`; every change makes a new object, as the store and registry do. */
class Mesh {
  workloads = new Map<string, RegisteredWorkload>();
  workloadEntries = new Map<string, WorkloadEntry>();
  resources = new Map<string, Service | ServiceEntry>();

  apply(s: Step): void {
    const key = (kind: string): string => `${kind}/${s.ns}/${s.name}`;
    switch (s.op) {
      case 'workload':
        this.workloads.set(key('w'), workload(s.name, s.ns, s.address, s.labels, s.declares ? s.labels.app : undefined));
        break;
      case 'workloadEntry':
        this.workloadEntries.set(key('we'), workloadEntry(s.name, s.ns, s.address, s.labels));
        break;
      case 'service':
        this.resources.set(key('Service'), service(s.name, s.ns, s.selector));
        break;
      case 'serviceEntry':
        this.resources.set(key('ServiceEntry'), entry(s.name, s.ns, s.labels));
        break;
      case 'remove': {
        const kind = { workload: 'w', workloadEntry: 'we', service: 'Service', serviceEntry: 'ServiceEntry' }[s.what];
        this.workloads.delete(key(kind));
        this.workloadEntries.delete(key(kind));
        this.resources.delete(key(kind));
      }
    }
  }

  answer(index: EndpointIndex): Map<string, readonly unknown[]> {
    const workloads = [...this.workloads.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    index.update(workloads, [...this.workloadEntries.values()]);
    return index.instancesByHost([...this.resources.values()], []);
  }
}

describe('EndpointIndex', () => {
  it('kept across any sequence of changes, answers what a fresh index answers for the final state (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const mesh = new Mesh();
        const kept = new EndpointIndex();
        for (const s of steps) {
          mesh.apply(s);
          const incremental = mesh.answer(kept);
          const fresh = mesh.answer(new EndpointIndex());
          assert.deepEqual(sortedEntries(incremental), sortedEntries(fresh));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the list object of every service a change cannot touch, and replaces the changed ones', () => {
    const mesh = new Mesh();
    for (const s of [
      { op: 'service', name: 'x', ns: 'a', selector: { app: 'x' } },
      { op: 'service', name: 'y', ns: 'a', selector: { app: 'y' } },
      { op: 'workload', name: 'p', ns: 'a', address: '10.0.0.1', labels: { app: 'x' }, declares: false },
      { op: 'workloadEntry', name: 'q', ns: 'a', address: '10.0.0.2', labels: { app: 'y' } },
    ] as Step[]) mesh.apply(s);
    const index = new EndpointIndex();
    const before = mesh.answer(index);
    assert.equal(before.get('x.a.svc.cluster.local')?.length, 2, 'one workload on two ports');
    mesh.apply({ op: 'workloadEntry', name: 'r', ns: 'a', address: '10.0.0.3', labels: { app: 'y' } });
    const after = mesh.answer(index);
    assert.equal(after.get('x.a.svc.cluster.local'), before.get('x.a.svc.cluster.local'), 'x untouched: the same list object');
    assert.notEqual(after.get('y.a.svc.cluster.local'), before.get('y.a.svc.cluster.local'));
    assert.deepEqual(
      after.get('y.a.svc.cluster.local')?.map((i) => `${(i as { address: string }).address}:${(i as { servicePort: number }).servicePort}`),
      ['10.0.0.2:80', '10.0.0.3:80', '10.0.0.2:90', '10.0.0.3:90'],
    );
    // the same lists again: nothing recomputed
    const again = mesh.answer(index);
    assert.equal(again.get('y.a.svc.cluster.local'), after.get('y.a.svc.cluster.local'));
  });
});

function sortedEntries(m: Map<string, readonly unknown[]>): [string, readonly unknown[]][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
