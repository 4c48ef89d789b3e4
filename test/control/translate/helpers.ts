// Translate tests: YAML → Snapshot fixtures, and the contract check that every emitted resource passes the proxy's validators.
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import type { MeshResource, Service, ServiceEntry } from '../../../src/api/types.js';
import { parseMeshConfig, type MeshConfig } from '../../../src/api/mesh-config.js';
import { buildSnapshot, type SnapshotInput } from '../../../src/control/model/snapshot.js';
import { protocolFromPortName } from '../../../src/control/model/builders.js';
import { parseLocality } from '../../../src/control/model/proxy-node.js';
import type { InstanceInfo, ServiceInfo, Snapshot } from '../../../src/control/model/types.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type XdsResource } from '../../../src/control/translate/generator.js';
import { validateCluster, validateClusterLoadAssignment, validateListener, validateRouteConfiguration, validateSecret } from '../../../src/proxy/config/validators.js';
import { SECRET_TYPE } from '../../../src/xds/type-urls.js';

export function parseYaml(text: string): MeshResource[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as MeshResource | null)
    .filter((r): r is MeshResource => r !== null)
    .map((r) => ({ ...r, metadata: { ...r.metadata, namespace: r.metadata.namespace ?? 'default' } }));
}

function fromService(s: Service): ServiceInfo {
  return {
    hostname: `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`,
    namespace: s.metadata.namespace,
    name: s.metadata.name,
    ports: (s.spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: protocolFromPortName(p.name, p.appProtocol) })),
    resolution: 'STATIC',
    origin: 'Service',
    meshExternal: false,
  };
}

function fromServiceEntry(se: ServiceEntry): { services: ServiceInfo[]; instances: InstanceInfo[] } {
  const services: ServiceInfo[] = [];
  const instances: InstanceInfo[] = [];
  for (const host of se.spec.hosts) {
    const svc: ServiceInfo = {
      hostname: host,
      namespace: se.metadata.namespace,
      name: se.metadata.name,
      ports: (se.spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.number, protocol: protocolFromPortName(p.protocol ?? p.name) })),
      resolution: se.spec.resolution ?? 'NONE',
      origin: 'ServiceEntry',
      meshExternal: se.spec.location !== 'MESH_INTERNAL',
    };
    services.push(svc);
    for (const ep of se.spec.endpoints ?? []) {
      for (const p of svc.ports) {
        const inst: InstanceInfo = {
          service: host,
          servicePort: p.port,
          address: ep.address ?? host,
          port: ep.ports?.[p.name] ?? p.port,
          labels: ep.labels ?? {},
          weight: ep.weight ?? 1,
          healthy: true,
        };
        const loc = parseLocality(ep.locality);
        if (loc !== undefined) inst.locality = loc;
        instances.push(inst);
      }
    }
  }
  return { services, instances };
}

/** Snapshot from YAML (Services, ServiceEntries, Istio kinds) plus registry instances. */
export function snapshotFromYaml(text: string, instances: InstanceInfo[] = [], version = 'v1', extra: Partial<SnapshotInput> = {}): Snapshot {
  const rs = parseYaml(text);
  const services: ServiceInfo[] = [];
  const allInstances = [...instances];
  for (const r of rs) {
    if (r.kind === 'Service') services.push(fromService(r));
    if (r.kind === 'ServiceEntry') {
      const x = fromServiceEntry(r);
      services.push(...x.services);
      allInstances.push(...x.instances);
    }
  }
  return buildSnapshot({
    version,
    services,
    instances: allInstances,
    virtualServices: rs.filter((r) => r.kind === 'VirtualService'),
    destinationRules: rs.filter((r) => r.kind === 'DestinationRule'),
    gateways: rs.filter((r) => r.kind === 'Gateway'),
    sidecars: rs.filter((r) => r.kind === 'Sidecar'),
    secrets: rs.filter((r) => r.kind === 'Secret'),
    authorizationPolicies: rs.filter((r) => r.kind === 'AuthorizationPolicy'),
    requestAuthentications: rs.filter((r) => r.kind === 'RequestAuthentication'),
    telemetries: rs.filter((r) => r.kind === 'Telemetry'),
    ...extra,
  });
}

/** The contract with the proxy: each resource validates as its xDS type (through a JSON round trip, as it would travel). */
export function assertProxyAccepts(typeUrl: string, resources: readonly XdsResource[]): void {
  for (const r of resources) {
    const raw: unknown = JSON.parse(JSON.stringify(r.resource));
    assert.equal(r.resource['@type'], typeUrl, `${r.name}: @type`);
    const result =
      typeUrl === LISTENER_TYPE
        ? validateListener(raw, r.name)
        : typeUrl === ROUTE_TYPE
          ? validateRouteConfiguration(raw, r.name)
          : typeUrl === CLUSTER_TYPE
            ? validateCluster(raw, r.name)
            : typeUrl === ENDPOINT_TYPE
              ? validateClusterLoadAssignment(raw, r.name)
              : typeUrl === SECRET_TYPE
                ? validateSecret(raw, r.name)
                : undefined;
    assert.ok(result !== undefined, `unknown type ${typeUrl}`);
    assert.ok(result.ok, `${r.name} rejected by the proxy:\n${result.ok ? '' : result.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
  }
}

/** Finds one resource by name or fails. */
export function byName<T extends { name: string }>(list: readonly T[], name: string): T {
  const r = list.find((x) => x.name === name);
  assert.ok(r !== undefined, `no resource "${name}" in [${list.map((x) => x.name).join(', ')}]`);
  return r;
}

/** Loose path access into proto-JSON for assertions: get(obj, 'virtual_hosts', 0, 'routes'); -1 is a list's last item. */
export function get(obj: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) && typeof p === 'number' && p < 0 ? cur.at(p) : (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export const BOOKINFO = `
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: default}
spec: {ports: [{name: http, port: 9080}], selector: {app: productpage}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {ports: [{name: http, port: 9080}], selector: {app: reviews}}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {ports: [{name: http, port: 9080}], selector: {app: ratings}}
---
apiVersion: v1
kind: Service
metadata: {name: details, namespace: default}
spec: {ports: [{name: http, port: 9080}], selector: {app: details}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`;

const R = 'reviews.default.svc.cluster.local';
export const BOOKINFO_INSTANCES: InstanceInfo[] = [
  { service: R, servicePort: 9080, address: '10.0.0.11', port: 15006, labels: { app: 'reviews', version: 'v1' }, weight: 1, healthy: true },
  { service: R, servicePort: 9080, address: '10.0.0.12', port: 15006, labels: { app: 'reviews', version: 'v2' }, weight: 1, healthy: true },
  { service: R, servicePort: 9080, address: '10.0.0.13', port: 15006, labels: { app: 'reviews', version: 'v3' }, weight: 1, healthy: true },
  { service: 'ratings.default.svc.cluster.local', servicePort: 9080, address: '10.0.0.21', port: 15006, labels: { app: 'ratings' }, weight: 1, healthy: true },
];

/** A mesh config from YAML text; the test fails on an invalid one. */
export function meshFromYaml(text: string): MeshConfig {
  const r = parseMeshConfig(text, 'mesh.yaml');
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  return r.value;
}
