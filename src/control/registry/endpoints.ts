// Registry stage: the endpoints of every service (pure) — selector matches over registered workloads and WorkloadEntries, ServiceEntry endpoints.
import type { Service, ServiceEntry, WorkloadEntry, WorkloadEntrySpec } from '../../api/types.js';
import { parseLocality } from '../model/proxy-node.js';
import type { InstanceInfo, Locality, ServiceInfo } from '../model/types.js';
import { declaredHost, proxiedPort, serviceHostname } from './services.js';
import type { RegisteredWorkload } from './types.js';

/** Anything that can back an endpoint: a registered workload or a WorkloadEntry (or an inline ServiceEntry endpoint). */
export interface EndpointSource {
  /** Where it comes from (the registry key, or `WorkloadEntry/<namespace>/<name>`): orders sources on the same address. */
  key?: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  address: string;
  weight: number;
  locality?: Locality;
  serviceAccount?: string;
  /** Registered proxies are always reached on one port (their inbound listener). */
  fixedPort?: number;
  /** WorkloadEntry `ports`: service port name → target port. */
  ports?: Readonly<Record<string, number>>;
  /** Has a sidecar that takes mesh mTLS. */
  tlsMode?: 'istio';
  /** The port the workload itself listens on behind its sidecar (a registered sidecar's app port). */
  workloadPort?: number;
}

/** Istio's label for an endpoint's TLS mode ('istio': it has a sidecar; anything else: plaintext). */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

export function sourceFromWorkload(w: RegisteredWorkload): EndpointSource {
  const s: EndpointSource = { key: w.key, namespace: w.namespace, labels: w.labels, address: w.address, weight: w.weight, fixedPort: w.port, serviceAccount: w.serviceAccount };
  if (w.locality !== undefined) s.locality = w.locality;
  // a registered sidecar is one (as Istio's injector labels pods); the label may still opt it out
  if (w.proxyType === 'sidecar' && (w.labels[TLS_MODE_LABEL] ?? 'istio') === 'istio') s.tlsMode = 'istio';
  if (w.appPort !== undefined) s.workloadPort = w.appPort;
  return s;
}

function sourceFromSpec(spec: WorkloadEntrySpec, namespace: string, fallbackAddress?: string): EndpointSource | undefined {
  const address = spec.address ?? fallbackAddress;
  if (address === undefined || address === '') return undefined;
  const s: EndpointSource = { namespace, labels: spec.labels ?? {}, address, weight: spec.weight !== undefined && spec.weight > 0 ? spec.weight : 1 };
  const loc = parseLocality(spec.locality);
  if (loc !== undefined) s.locality = loc;
  if (spec.serviceAccount !== undefined) s.serviceAccount = spec.serviceAccount;
  if (spec.ports !== undefined) s.ports = spec.ports;
  if (s.labels[TLS_MODE_LABEL] === 'istio') s.tlsMode = 'istio';
  return s;
}

export function sourceFromEntry(we: WorkloadEntry): EndpointSource | undefined {
  const s = sourceFromSpec(we.spec, we.metadata.namespace);
  if (s !== undefined) s.key = `WorkloadEntry/${we.metadata.namespace}/${we.metadata.name}`;
  return s;
}

/** Kubernetes equality-based selection; an empty selector selects nothing (a Service without selector has manual endpoints). */
export function selectorMatches(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return false;
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** Finds the sources of a namespace that a label selector matches (ingestion keeps one across rebuilds: EndpointIndex). */
export interface SourceLookup {
  matching(namespace: string, selector: Readonly<Record<string, string>>): EndpointSource[];
}

/** The index key of one label of a source in a namespace. */
export function labelKey(namespace: string, key: string, value: string): string {
  return `${namespace}\0${key}\0${value}`;
}

function instance(service: string, servicePort: number, src: EndpointSource, port: number): InstanceInfo {
  const i: InstanceInfo = { service, servicePort, address: src.address, port, labels: src.labels, weight: src.weight, healthy: true };
  if (src.locality !== undefined) i.locality = src.locality;
  if (src.serviceAccount !== undefined && src.serviceAccount !== '') i.serviceAccount = src.serviceAccount;
  i.namespace = src.namespace;
  if (src.tlsMode !== undefined) i.tlsMode = src.tlsMode;
  if (src.workloadPort !== undefined) i.workloadPort = src.workloadPort;
  return i;
}

/** The port to connect to for one service port: the proxy's fixed port, the entry's named port, the target port, or the port itself. */
function targetPort(src: EndpointSource, portName: string, servicePort: number, target: number | string | undefined): number {
  if (src.fixedPort !== undefined) return src.fixedPort;
  const named = portName !== '' ? src.ports?.[portName] : undefined;
  if (named !== undefined) return named;
  return typeof target === 'number' ? target : servicePort;
}

/** A core Service's endpoints: workloads of its namespace matched by its selector, on each of its ports. */
export function serviceInstances(svc: Service, sources: SourceLookup, registered: readonly RegisteredWorkload[]): InstanceInfo[] {
  const host = serviceHostname(svc.metadata.name, svc.metadata.namespace);
  const ports = (svc.spec.ports ?? []).filter(proxiedPort);
  if (svc.spec.type === 'ExternalName' && svc.spec.externalName !== undefined) {
    const ext: EndpointSource = { namespace: svc.metadata.namespace, labels: {}, address: svc.spec.externalName, weight: 1 };
    return ports.map((p) => instance(host, p.port, ext, p.port));
  }
  let members: EndpointSource[];
  if (svc.spec.selector !== undefined && Object.keys(svc.spec.selector).length > 0) {
    members = sources.matching(svc.metadata.namespace, svc.spec.selector);
  } else {
    // no selector: like a Service with manual Endpoints, its endpoints are the proxies that say they serve it
    members = registered.filter((w) => declaredHost(w) === host).map(sourceFromWorkload);
  }
  const out: InstanceInfo[] = [];
  for (const src of members) for (const p of ports) out.push(instance(host, p.port, src, targetPort(src, p.name ?? '', p.port, p.targetPort)));
  return out;
}

/** A ServiceEntry's endpoints on every host: inline `endpoints`, or `workloadSelector` matches in its namespace. */
export function entryInstances(se: ServiceEntry, sources: SourceLookup): InstanceInfo[] {
  const ns = se.metadata.namespace;
  let members: EndpointSource[];
  if (se.spec.workloadSelector !== undefined) {
    const selector = se.spec.workloadSelector.labels;
    members = selector === undefined ? [] : sources.matching(ns, selector);
  } else {
    members = [];
    for (const ep of se.spec.endpoints ?? []) {
      const src = sourceFromSpec(ep, ns);
      if (src !== undefined) members.push(src);
    }
  }
  const out: InstanceInfo[] = [];
  for (const host of se.spec.hosts) {
    for (const src of members) {
      for (const p of se.spec.ports ?? []) out.push(instance(host.toLowerCase(), p.number, src, targetPort(src, p.name ?? '', p.number, p.targetPort)));
    }
  }
  return out;
}

/** Endpoints of services that only exist because workloads declared them (see declaredServices). */
export function declaredInstances(services: readonly ServiceInfo[], registered: readonly RegisteredWorkload[]): InstanceInfo[] {
  const hosts = new Set(services.map((s) => s.hostname));
  const out: InstanceInfo[] = [];
  for (const w of registered) {
    if (w.servicePort === undefined) continue;
    const host = declaredHost(w);
    if (hosts.has(host)) out.push(instance(host, w.servicePort, sourceFromWorkload(w), w.port));
  }
  return out;
}
