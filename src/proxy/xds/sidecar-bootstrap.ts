// xDS client: `trellis proxy --control-plane …` — builds the node identity (Istio-style id + metadata) and an ADS bootstrap from flags.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Result } from '../../common/result.js';
import type { Bootstrap } from '../config/types.js';
import { parseBootstrap } from '../config/parse-bootstrap.js';
import { portFree, portInUseMessage } from '../../common/port-in-use.js';
import { freePort } from '../../common/free-port.js';

export interface SidecarFlags {
  controlPlane: string;
  service?: string;
  namespace?: string;
  labels?: string;
  servicePort?: string;
  appPort?: string;
  outboundPort?: string;
  inboundPort?: string;
  adminPort?: string;
  nodeId?: string;
  serviceAccount?: string;
  proxyType?: string;
  /** sotw | delta (default): the ADS RPC, as ads_config.api_type GRPC | DELTA_GRPC. */
  xdsApi?: string;
  /** PEM file of the mesh root(s): the control plane is reached over TLS and its certificate must chain to them. */
  caRoot?: string;
  /** The workload (Istio's deployment name) this instance belongs to; default `<app>-<version>` from the labels. */
  workload?: string;
  /** Where Istio's metrics are served (/stats/prometheus), default 15090; 0 = pick a free port. */
  prometheusPort?: string;
  /** The app's own Prometheus endpoint on 127.0.0.1, merged into /stats/prometheus (Istio's prometheus.io/port). */
  appMetricsPort?: string;
  /** Its path (Istio's prometheus.io/path), default /metrics. */
  appMetricsPath?: string;
}

/** Istio's workload name when none is given: the app (or service) label, then the version, as bookinfo's deployments are named. */
export function defaultWorkloadName(labels: Readonly<Record<string, string>>, service: string | undefined, fallback: string): string {
  const app = labels.app ?? service ?? fallback;
  return labels.version !== undefined && labels.version !== '' ? `${app}-${labels.version}` : app;
}

/** Kubernetes' pod name suffix alphabet (no vowels, so no words) and length. */
const POD_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
function podSuffix(): string {
  let out = '';
  for (const b of randomBytes(5)) out += POD_SUFFIX_CHARS[b % POD_SUFFIX_CHARS.length];
  return out;
}

/** The static cluster the ADS stream goes through, as Istio's bootstrap names it. */
export const XDS_CLUSTER = 'xds-grpc';
const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function hostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  return port > 0 && port <= 65535 ? { host: m[1] ?? m[2]!, port } : undefined;
}

function portFlag(name: string, v: string | undefined, dflt: number | undefined, errors: string[]): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    errors.push(`--${name} must be a port number (0 = pick a free one), got "${v}"`);
    return undefined;
  }
  return n;
}

/** `k=v,k=v` → labels (the form proxy-node.ts also accepts as a string). */
export function parseLabels(s: string | undefined, errors: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (s === undefined || s.trim() === '') return out;
  for (const kv of s.split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) errors.push(`--labels: "${kv}" is not k=v`);
    else out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}

/** TLS to the control plane (the xds-grpc cluster's transport socket): verified against the mesh root, the host name checked. */
function controlPlaneTls(caRoot: string, host: string | undefined): Record<string, unknown> {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      ...(host !== undefined && net.isIP(host) === 0 ? { sni: host } : {}),
      common_tls_context: { alpn_protocols: ['h2'], validation_context: { trusted_ca: { filename: caRoot } } },
    },
  };
}

/** Bootstrap for `--control-plane`; every flag problem is listed. `env` supplies POD_NAMESPACE, SERVICE_ACCOUNT, INSTANCE_IP, TRELLIS_SERVICE, TRELLIS_LABELS. */
export async function sidecarBootstrap(f: SidecarFlags, env: NodeJS.ProcessEnv = process.env): Promise<Result<Bootstrap>> {
  const errors: string[] = [];
  // several replicas: the ADS stream tries them in turn (with backoff) whenever it has to reconnect
  const cps = f.controlPlane.split(',').map((a) => a.trim());
  const cp = cps.map(hostPort);
  if (cps.some((a, i) => a === '' || cp[i] === undefined)) errors.push(`--control-plane must be HOST:PORT (or several, comma-separated), got "${f.controlPlane}"`);
  const type = (f.proxyType ?? 'sidecar').toLowerCase();
  if (type !== 'sidecar' && type !== 'router') errors.push(`--proxy-type must be sidecar or router, got "${f.proxyType}"`);
  const namespace = f.namespace ?? env.POD_NAMESPACE ?? 'default';
  const service = f.service ?? env.TRELLIS_SERVICE;
  const labels = parseLabels(f.labels ?? env.TRELLIS_LABELS, errors);
  const servicePort = portFlag('service-port', f.servicePort, undefined, errors);
  const appPort = portFlag('app-port', f.appPort, undefined, errors);
  let outbound = portFlag('outbound-port', f.outboundPort, 15001, errors);
  let inbound = portFlag('inbound-port', f.inboundPort, 15006, errors);
  const admin = portFlag('admin-port', f.adminPort, 15000, errors);
  let prometheus = portFlag('prometheus-port', f.prometheusPort, 15090, errors);
  const appMetricsPort = portFlag('app-metrics-port', f.appMetricsPort, undefined, errors);
  if (appMetricsPort === 0) errors.push('--app-metrics-port must be the port the app serves its metrics on, not 0');
  const appMetricsPath = f.appMetricsPath ?? '/metrics';
  if (!/^\/[\x21-\x7e]*$/.test(appMetricsPath)) errors.push(`--app-metrics-path must be a path starting with "/", got "${appMetricsPath}"`);
  if (f.appMetricsPath !== undefined && appMetricsPort === undefined) errors.push('--app-metrics-path needs --app-metrics-port');
  const api = (f.xdsApi ?? 'delta').toLowerCase();
  if (api !== 'sotw' && api !== 'delta') errors.push(`--xds-api must be sotw or delta, got "${f.xdsApi}"`);
  if (errors.length > 0) return { ok: false, errors: errors.map((message) => ({ path: 'flags', message })) };
  const targets = cp as { host: string; port: number }[];
  // a port another sidecar holds is named by its flag now, before anything starts (the binds come later, from LDS)
  const taken: string[] = [];
  for (const [flag, host, port] of [['--outbound-port', '127.0.0.1', outbound], ['--inbound-port', '0.0.0.0', inbound], ['--admin-port', '127.0.0.1', admin], ['--prometheus-port', '0.0.0.0', prometheus]] as const) {
    if (port !== undefined && port !== 0 && !(await portFree(host, port))) taken.push(portInUseMessage(flag, port, 'another sidecar'));
  }
  if (taken.length > 0) return { ok: false, errors: taken.map((message) => ({ path: 'flags', message })) };
  if (outbound === 0) outbound = await freePort('127.0.0.1');
  if (inbound === 0) inbound = await freePort('0.0.0.0');
  if (prometheus === 0) prometheus = await freePort('0.0.0.0');
  // chosen now, not at bind, so the node can tell the control plane where its admin is (explain reads outlier state there)
  const adminPort = admin === 0 ? await freePort('127.0.0.1') : admin;

  const ip = env.INSTANCE_IP ?? '127.0.0.1';
  const name = service ?? (type === 'router' ? 'gateway' : 'proxy');
  const workload = f.workload ?? env.TRELLIS_WORKLOAD ?? defaultWorkloadName(labels, service, name);
  // Istio's node id: type~ip~pod.namespace~namespace.svc.cluster.local, the pod named as Kubernetes names a
  // Deployment's: `<workload>-<5 random characters>` (what `trellis proxy-status` shows and proxy-config accepts)
  const id = f.nodeId ?? `${type}~${ip}~${workload}-${podSuffix()}.${namespace}~${namespace}.svc.cluster.local`;
  const metadata: Record<string, unknown> = {
    NAMESPACE: namespace,
    LABELS: labels,
    INSTANCE_IPS: ip,
    SERVICE_ACCOUNT: f.serviceAccount ?? env.SERVICE_ACCOUNT ?? 'default',
    TRELLIS_OUTBOUND_PORT: String(outbound),
    TRELLIS_INBOUND_PORT: String(inbound),
    PROXY_TYPE: type,
    WORKLOAD_NAME: workload,
    TRELLIS_PROMETHEUS_PORT: String(prometheus),
    TRELLIS_ADMIN_PORT: String(adminPort),
  };
  if (service !== undefined) metadata.TRELLIS_SERVICE = service;
  if (servicePort !== undefined) metadata.TRELLIS_SERVICE_PORT = String(servicePort);
  if (appPort !== undefined) metadata.TRELLIS_APP_PORT = String(appPort);
  if (appMetricsPort !== undefined) {
    metadata.TRELLIS_APP_METRICS_PORT = String(appMetricsPort);
    metadata.TRELLIS_APP_METRICS_PATH = appMetricsPath;
  }

  const raw = {
    node: { id, cluster: `${name}.${namespace}`, metadata },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    dynamic_resources: {
      // Istio ≥1.22 proxies also default to delta xDS
      ads_config: { api_type: api === 'sotw' ? 'GRPC' : 'DELTA_GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }], set_node_on_first_message_only: true },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER,
          type: targets.every((t) => net.isIP(t.host) !== 0) ? 'STATIC' : 'STRICT_DNS',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: XDS_CLUSTER,
            endpoints: [{ lb_endpoints: targets.map((t) => ({ endpoint: { address: { socket_address: { address: t.host, port_value: t.port } } } })) }],
          },
          typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS, explicit_http_config: { http2_protocol_options: {} } } },
          // one SNI fits one name only: with several replicas each is verified against the host it is reached by
          ...(f.caRoot !== undefined ? { transport_socket: controlPlaneTls(f.caRoot, targets.length === 1 ? targets[0]!.host : undefined) } : {}),
        },
      ],
    },
  };
  return parseBootstrap(raw, { baseDir: process.cwd() });
}
