// Model stage: parses an xDS Node (Envoy/trellis proxy or grpc-js-xds client) into the ProxyNode translation works on.
import type { Locality, ProxyNode, ProxyType } from './types.js';

/** Node metadata keys (Istio's names where Istio has one; TRELLIS_* for what Trellis adds). */
export const META = {
  NAMESPACE: 'NAMESPACE',
  /** map<string,string> (a Struct), or 'k=v,k=v'. */
  LABELS: 'LABELS',
  /** Comma-separated IPs, first is the workload address. */
  INSTANCE_IPS: 'INSTANCE_IPS',
  SERVICE_ACCOUNT: 'SERVICE_ACCOUNT',
  TRELLIS_SERVICE: 'TRELLIS_SERVICE',
  TRELLIS_SERVICE_PORT: 'TRELLIS_SERVICE_PORT',
  TRELLIS_APP_PORT: 'TRELLIS_APP_PORT',
  TRELLIS_OUTBOUND_PORT: 'TRELLIS_OUTBOUND_PORT',
  TRELLIS_INBOUND_PORT: 'TRELLIS_INBOUND_PORT',
  TRELLIS_ADMIN_PORT: 'TRELLIS_ADMIN_PORT',
  /** Where the proxy serves Istio's metrics (/stats/prometheus; Istio's 15090). */
  TRELLIS_PROMETHEUS_PORT: 'TRELLIS_PROMETHEUS_PORT',
  /** Istio's workload (deployment) name. */
  WORKLOAD_NAME: 'WORKLOAD_NAME',
  /** 'sidecar' | 'router' | 'proxyless'. */
  PROXY_TYPE: 'PROXY_TYPE',
  /** Istio marks proxyless gRPC bootstraps with GENERATOR: grpc. */
  GENERATOR: 'GENERATOR',
} as const;

export const DEFAULT_OUTBOUND_PORT = 15001;
export const DEFAULT_INBOUND_PORT = 15006;

/** The parts of an xDS Node this reads (Envoy proto-JSON field names). */
export interface NodeInfo {
  id: string;
  cluster?: string;
  metadata?: Readonly<Record<string, unknown>>;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  user_agent_name?: string;
  /** Which ADS RPC the node came on: Envoy speaks VHDS only over Delta. */
  xdsApi?: 'sotw' | 'delta';
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function port(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
}

function labels(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === 'string') {
    for (const kv of v.split(',')) {
      const i = kv.indexOf('=');
      if (i > 0) out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) {
      const s = str(val);
      if (s !== undefined) out[k] = s;
    }
  }
  return out;
}

/**
 * Istio's node id: `type~ip~name.namespace~namespace.svc.cluster.local` (proxyless gRPC uses the same form).
 * Returns undefined parts for anything else, e.g. a plain `reviews-v1` id.
 */
export function parseIstioNodeId(id: string): { type?: string; ip?: string; name?: string; namespace?: string } {
  const parts = id.split('~');
  if (parts.length !== 4) return {};
  const [type, ip, podNs, domain] = parts as [string, string, string, string];
  const dot = podNs.lastIndexOf('.');
  const namespace = dot > 0 ? podNs.slice(dot + 1) : domain.split('.')[0];
  return { type, ip, name: dot > 0 ? podNs.slice(0, dot) : podNs, namespace: namespace === '' ? undefined : namespace };
}

/** A node that names no workload: its app/version labels, else its service, else the pod-name part of its id. */
function defaultWorkload(l: Record<string, string>, service: string | undefined, idName: string | undefined): string {
  const app = l.app ?? service ?? idName ?? 'unknown';
  return l.version ? `${app}-${l.version}` : app;
}

function proxyType(meta: Readonly<Record<string, unknown>>, idType: string | undefined, userAgent: string | undefined): ProxyType {
  const t = str(meta[META.PROXY_TYPE])?.toLowerCase();
  if (t === 'sidecar' || t === 'router' || t === 'proxyless') return t;
  if (str(meta[META.GENERATOR]) === 'grpc') return 'proxyless';
  if (userAgent !== undefined && userAgent.toLowerCase().startsWith('grpc')) return 'proxyless';
  if (idType === 'router') return 'router';
  return 'sidecar';
}

/** Node → ProxyNode. Metadata wins over what the node id says; absent fields get Istio's defaults (namespace 'default'). */
export function proxyNodeFromNode(node: NodeInfo): ProxyNode {
  const meta = node.metadata ?? {};
  const fromId = parseIstioNodeId(node.id);
  const ips = (str(meta[META.INSTANCE_IPS]) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out: ProxyNode = {
    id: node.id,
    type: proxyType(meta, fromId.type, node.user_agent_name),
    namespace: str(meta[META.NAMESPACE]) ?? fromId.namespace ?? 'default',
    labels: labels(meta[META.LABELS]),
    ip: ips[0] ?? fromId.ip ?? '',
    serviceAccount: str(meta[META.SERVICE_ACCOUNT]) ?? '',
    outboundPort: port(meta[META.TRELLIS_OUTBOUND_PORT]) ?? DEFAULT_OUTBOUND_PORT,
    inboundPort: port(meta[META.TRELLIS_INBOUND_PORT]) ?? DEFAULT_INBOUND_PORT,
    workloadName: str(meta[META.WORKLOAD_NAME]) || defaultWorkload(labels(meta[META.LABELS]), str(meta[META.TRELLIS_SERVICE]), fromId.name),
  };
  const svc = str(meta[META.TRELLIS_SERVICE]);
  if (svc !== undefined && svc !== '') out.serviceName = svc;
  const sp = port(meta[META.TRELLIS_SERVICE_PORT]);
  if (sp !== undefined) out.servicePort = sp;
  const ap = port(meta[META.TRELLIS_APP_PORT]);
  if (ap !== undefined) out.appPort = ap;
  const admin = port(meta[META.TRELLIS_ADMIN_PORT]);
  if (admin !== undefined) out.adminPort = admin;
  const prom = port(meta[META.TRELLIS_PROMETHEUS_PORT]);
  if (prom !== undefined) out.prometheusPort = prom;
  const l = node.locality;
  if (l !== undefined && (l.region || l.zone || l.sub_zone)) {
    const loc: Locality = { region: l.region ?? '', zone: l.zone ?? '', subzone: l.sub_zone ?? '' };
    out.locality = loc;
  }
  if (node.xdsApi === 'delta' && out.type === 'sidecar') out.vhds = true;
  return out;
}

/** 'region/zone/subzone' (Istio's locality string) → Locality. */
export function parseLocality(s: string | undefined): Locality | undefined {
  if (s === undefined || s === '') return undefined;
  const [region = '', zone = '', subzone = ''] = s.split('/');
  return { region, zone, subzone };
}
