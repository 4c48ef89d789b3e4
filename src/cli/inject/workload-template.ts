// CLI `trellis run`: what a stored Deployment, StatefulSet or Pod and a stored Service say about a workload — its
// labels, service account and ports — merged under the flags (a flag always wins). Pure: resources in, settings out.
import type { Service } from '../../api/types.js';
import type { ContainerPort, PodSpec } from '../../api/workload-kinds.js';

export interface WorkloadTemplate {
  labels: Record<string, string>;
  serviceAccount?: string;
  /** The first container's ports, as the pod would listen on them. */
  containerPorts: readonly ContainerPort[];
  /** Istio's prometheus.io/port and /path annotations: where the app serves its own metrics. */
  appMetrics?: { port: number; path?: string };
}

interface TemplateSource {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: PodSpec } } & PodSpec;
}

/** A Deployment's or StatefulSet's pod template, or a Pod itself. */
export function workloadTemplate(r: TemplateSource): WorkloadTemplate {
  const podMeta = r.kind === 'Pod' ? r.metadata : (r.spec?.template?.metadata ?? {});
  const pod: PodSpec = (r.kind === 'Pod' ? r.spec : r.spec?.template?.spec) ?? {};
  const sa = pod.serviceAccountName ?? pod.serviceAccount;
  const ports = (pod.containers ?? []).find((c) => (c.ports ?? []).length > 0)?.ports ?? [];
  const scrape = podMeta.annotations?.['prometheus.io/port'];
  const metricsPort = scrape !== undefined && /^\d+$/.test(scrape) ? Number(scrape) : undefined;
  const metricsPath = podMeta.annotations?.['prometheus.io/path'];
  return {
    labels: { ...(podMeta.labels ?? {}) },
    ...(sa !== undefined && sa !== '' ? { serviceAccount: sa } : {}),
    containerPorts: ports,
    ...(metricsPort !== undefined && metricsPort > 0 ? { appMetrics: { port: metricsPort, ...(metricsPath !== undefined ? { path: metricsPath } : {}) } } : {}),
  };
}

/**
 * The port peers address the service on: the Service port whose targetPort is one of the container's ports
 * (by number or name), else its first port; without a Service, the container's first port.
 */
export function servicePortOf(service: Service | undefined, containerPorts: readonly ContainerPort[]): number | undefined {
  const ports = service?.spec?.ports ?? [];
  const targets = (p: { port: number; targetPort?: number | string }): boolean =>
    containerPorts.some((c) => (p.targetPort ?? p.port) === c.containerPort || (typeof p.targetPort === 'string' && p.targetPort === c.name));
  return (ports.find(targets) ?? ports[0])?.port ?? containerPorts[0]?.containerPort;
}

/** `k=v,k=v` of the labels, flags over template: the form --labels takes. */
export function labelsFlag(template: Readonly<Record<string, string>>, given: Readonly<Record<string, string>>): string {
  return Object.entries({ ...template, ...given })
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
