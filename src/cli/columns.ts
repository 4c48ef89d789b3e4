// CLI: the table columns `trellis get` shows per kind — the additionalPrinterColumns of Istio's CRDs (and kubectl's for Service), plus `-o wide` extras.
import type { MeshResource, PodSpec } from '../api/types.js';
import { age, cell } from './output.js';

export interface Columns {
  headers: string[];
  row(r: MeshResource, now: number): string[];
}

function creation(r: MeshResource): string | undefined {
  const meta = r.metadata as { creationTimestamp?: unknown };
  return typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : undefined;
}

function labels(l: Record<string, string> | undefined): string {
  return l === undefined ? '-' : cell(Object.entries(l).map(([k, v]) => `${k}=${v}`));
}

// Kind-specific columns between NAME and AGE; the `wide` ones come after AGE, as kubectl orders them.
function kindColumns(r: MeshResource, wide: boolean): { mid: string[]; extra: string[] } {
  switch (r.kind) {
    case 'VirtualService':
      return { mid: [cell(r.spec.gateways), cell(r.spec.hosts)], extra: wide ? [cell(r.spec.exportTo)] : [] };
    case 'DestinationRule':
      return { mid: [r.spec.host], extra: wide ? [cell((r.spec.subsets ?? []).map((s) => s.name))] : [] };
    case 'Gateway':
      return { mid: [], extra: wide ? [labels(r.spec.selector)] : [] };
    case 'ServiceEntry':
      return { mid: [cell(r.spec.hosts), cell(r.spec.location), cell(r.spec.resolution)], extra: [] };
    case 'WorkloadEntry':
      return { mid: [cell(r.spec.address)], extra: wide ? [labels(r.spec.labels)] : [] };
    case 'Sidecar':
      return { mid: [], extra: wide ? [labels(r.spec.workloadSelector?.labels)] : [] };
    case 'PeerAuthentication':
      return { mid: [r.spec.mtls?.mode ?? 'UNSET'], extra: wide ? [labels(r.spec.selector?.matchLabels)] : [] };
    case 'Service':
      return {
        mid: [r.spec.type ?? 'ClusterIP', cell((r.spec.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`))],
        extra: wide ? [labels(r.spec.selector)] : [],
      };
    case 'Secret':
      // kubectl's columns: the type and how many keys (never the values)
      return { mid: [r.type ?? 'Opaque', String(Object.keys({ ...r.data, ...r.stringData }).length)], extra: [] };
    case 'AuthorizationPolicy':
      return { mid: [r.spec.action ?? 'ALLOW'], extra: wide ? [labels(r.spec.selector?.matchLabels)] : [] };
    case 'RequestAuthentication':
      return { mid: [], extra: wide ? [labels(r.spec.selector?.matchLabels)] : [] };
    case 'Telemetry':
      return { mid: [], extra: wide ? [labels(r.spec.selector?.matchLabels)] : [] };
    case 'ServiceAccount':
      return { mid: [], extra: [] };
    case 'Namespace':
      return { mid: ['Active'], extra: wide ? [labels(r.metadata.labels)] : [] };
    case 'Deployment':
    case 'StatefulSet': {
      const pod = r.spec.template.spec;
      // templates, not running pods: what `trellis run --workload` starts from
      return { mid: [String(r.spec.replicas ?? 1), serviceAccountOf(pod), containerPorts(pod)], extra: wide ? [labels(r.spec.template.metadata?.labels)] : [] };
    }
    case 'Pod':
      return { mid: [serviceAccountOf(r.spec), containerPorts(r.spec)], extra: wide ? [labels(r.metadata.labels)] : [] };
  }
}

function serviceAccountOf(pod: PodSpec | undefined): string {
  return pod?.serviceAccountName ?? pod?.serviceAccount ?? 'default';
}

function containerPorts(pod: PodSpec | undefined): string {
  return cell((pod?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`)));
}

const HEADERS: Readonly<Record<MeshResource['kind'], { mid: string[]; extra: string[] }>> = {
  VirtualService: { mid: ['GATEWAYS', 'HOSTS'], extra: ['EXPORT TO'] },
  DestinationRule: { mid: ['HOST'], extra: ['SUBSETS'] },
  Gateway: { mid: [], extra: ['SELECTOR'] },
  ServiceEntry: { mid: ['HOSTS', 'LOCATION', 'RESOLUTION'], extra: [] },
  WorkloadEntry: { mid: ['ADDRESS'], extra: ['LABELS'] },
  Sidecar: { mid: [], extra: ['WORKLOAD SELECTOR'] },
  Service: { mid: ['TYPE', 'PORT(S)'], extra: ['SELECTOR'] },
  PeerAuthentication: { mid: ['MODE'], extra: ['SELECTOR'] },
  Secret: { mid: ['TYPE', 'DATA'], extra: [] },
  AuthorizationPolicy: { mid: ['ACTION'], extra: ['SELECTOR'] },
  RequestAuthentication: { mid: [], extra: ['SELECTOR'] },
  Telemetry: { mid: [], extra: ['SELECTOR'] },
  ServiceAccount: { mid: [], extra: [] },
  Namespace: { mid: ['STATUS'], extra: ['LABELS'] },
  Deployment: { mid: ['REPLICAS', 'SERVICE ACCOUNT', 'PORTS'], extra: ['LABELS'] },
  StatefulSet: { mid: ['REPLICAS', 'SERVICE ACCOUNT', 'PORTS'], extra: ['LABELS'] },
  Pod: { mid: ['SERVICE ACCOUNT', 'PORTS'], extra: ['LABELS'] },
};

/** NAMESPACE only with -A (kubectl's rule), then NAME, the kind's columns, AGE, and the wide extras. */
export function columnsFor(kind: MeshResource['kind'], allNamespaces: boolean, wide: boolean): Columns {
  const h = HEADERS[kind];
  return {
    headers: [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...h.mid, 'AGE', ...(wide ? h.extra : [])],
    row: (r, now) => {
      const { mid, extra } = kindColumns(r, wide);
      return [...(allNamespaces ? [r.metadata.namespace] : []), r.metadata.name, ...mid, age(creation(r), now), ...extra];
    },
  };
}
