// API stage: Sidecar analyzers — a port-bound egress listener on a port a connected sidecar already holds (TRL0002), or whose hosts import no service, or (TCP) several, on its port (TRL0003).
import { fqdn, hostCovers } from './hosts.js';
import { selects, type MeshIndex, type Workload } from './mesh-index.js';
import { SidecarEgressListenerUnroutable, SidecarEgressPortConflict, message, type Message } from './messages.js';
import { resourceRef, type IstioEgressListener, type Sidecar } from './types.js';

/** Istio's default root namespace: its selector-less Sidecar applies to namespaces without their own. */
const ROOT_NAMESPACE = 'istio-system';

/** The workloads a Sidecar is the one for (Istio's order: selector match in the namespace, then namespace default, then root default). */
function appliesTo(sc: Sidecar, w: Workload, all: readonly Sidecar[]): boolean {
  const own = all.filter((s) => s.metadata.namespace === w.namespace);
  const chosen =
    own.find((s) => s.spec.workloadSelector !== undefined && selects(s.spec.workloadSelector.labels, w.labels)) ??
    own.find((s) => s.spec.workloadSelector === undefined) ??
    all.find((s) => s.metadata.namespace === ROOT_NAMESPACE && s.spec.workloadSelector === undefined);
  return chosen === sc;
}

/** `namespace/dnsName` → the service hosts (FQDN, with their port numbers) it imports for a proxy in `ns`. */
function imported(entry: string, ns: string, idx: MeshIndex): { host: string; ports: number[] }[] {
  const slash = entry.indexOf('/');
  const want = slash === -1 ? '*' : entry.slice(0, slash);
  const dns = slash === -1 ? entry : entry.slice(slash + 1);
  if (want === '~') return [];
  const inNs = (svcNs: string): boolean => want === '*' || (want === '.' ? ns : want) === svcNs;
  const pattern = dns === '*' ? '*' : fqdn(dns, want === '*' || want === '.' ? ns : want, idx.namespaces);
  const out: { host: string; ports: number[] }[] = [];
  for (const [host, svc] of idx.services) {
    if (inNs(svc.metadata.namespace) && hostCovers(pattern, host)) out.push({ host, ports: (svc.spec.ports ?? []).map((p) => p.port) });
  }
  for (const { host, entry: se } of idx.entryHosts) {
    if (inNs(se.metadata.namespace) && hostCovers(pattern, host)) out.push({ host, ports: (se.spec.ports ?? []).map((p) => p.number) });
  }
  return out;
}

/** Services imported on the listener's port: that service port, else a single-port service (Istio's rule). */
function targets(e: IstioEgressListener, port: number, ns: string, idx: MeshIndex): string[] {
  const hosts = new Map<string, number[]>();
  for (const h of e.hosts) for (const s of imported(h, ns, idx)) hosts.set(s.host, s.ports);
  return [...hosts].filter(([, ports]) => ports.includes(port) || ports.length === 1).map(([h]) => h).sort();
}

export function analyzeSidecar(sc: Sidecar, idx: MeshIndex): Message[] {
  const out: Message[] = [];
  const ref = resourceRef(sc);
  (sc.spec.egress ?? []).forEach((e, i) => {
    const port = e.port?.number;
    if (port === undefined) return;
    const path = `spec.egress[${i}]`;
    const found = targets(e, port, sc.metadata.namespace, idx);
    const tcp = !['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTPS', 'TLS'].includes((e.port?.protocol ?? '').toUpperCase());
    if (found.length === 0) {
      out.push(message(SidecarEgressListenerUnroutable, ref, `The egress listener on port ${port} imports no Service or ServiceEntry with port ${port} (or a single port); it forwards nothing.`, `${path}.hosts`));
    } else if (tcp && found.length > 1) {
      out.push(
        message(
          SidecarEgressListenerUnroutable,
          ref,
          `The TCP egress listener on port ${port} imports ${found.length} services on that port [${found.join(' ')}]; a TCP connection names no host, so the listener is not created. Narrow its hosts to one service.`,
          `${path}.hosts`,
        ),
      );
    }
    for (const w of idx.workloads ?? []) {
      const role = Object.entries(w.ports ?? {}).find(([, p]) => p === port)?.[0];
      if (role === undefined || !appliesTo(sc, w, idx.sidecars)) continue;
      const who = w.name !== undefined ? `${w.namespace}/${w.name}` : w.namespace;
      out.push(message(SidecarEgressPortConflict, ref, `Port ${port} of this egress listener is the ${role} port of the sidecar of ${who}; that sidecar does not get the listener.`, `${path}.port.number`));
    }
  });
  return out;
}
