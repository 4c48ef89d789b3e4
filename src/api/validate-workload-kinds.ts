// API stage: the shapes trellis reads of Kubernetes' Deployment, StatefulSet and Pod (open schemas: every other field
// is kept unchecked, as a template), and Kubernetes' own rule that a selector must match its template's labels.
import { arr, int, obj, oneOfValues, str, strMap, uint, anything, isPlainObject, type ObjectSchema } from './schema.js';
import type { Report } from './rules.js';

const containerPort = obj('ContainerPort', { containerPort: int(1, 65535), name: str(), protocol: oneOfValues('TCP', 'UDP', 'SCTP') }, { required: ['containerPort'], open: true });
const container = obj('Container', { name: str(true), image: str(), ports: arr(containerPort) }, { required: ['name'], open: true });

export const podSpec: ObjectSchema = obj('PodSpec', { serviceAccountName: str(), serviceAccount: str(), containers: arr(container) }, { open: true });

const templateSpec: ObjectSchema = obj(
  'WorkloadSpec',
  {
    replicas: uint(),
    selector: obj('LabelSelector', { matchLabels: strMap, matchExpressions: anything }),
    template: obj('PodTemplateSpec', { metadata: obj('ObjectMeta', { labels: strMap, annotations: strMap }, { open: true }), spec: podSpec }, { open: true }),
  },
  { required: ['template'], open: true },
);
export const deploymentSpec = templateSpec;
export const statefulSetSpec = templateSpec;

/** Kubernetes refuses a workload whose selector does not select its own pods; so does trellis. */
export function validateWorkloadTemplate(spec: Record<string, unknown>, report: Report): void {
  const match = isPlainObject(spec.selector) && isPlainObject(spec.selector.matchLabels) ? spec.selector.matchLabels : undefined;
  const template = isPlainObject(spec.template) ? spec.template : undefined;
  const labels = template !== undefined && isPlainObject(template.metadata) && isPlainObject(template.metadata.labels) ? template.metadata.labels : {};
  for (const [k, v] of Object.entries(match ?? {})) {
    if (labels[k] !== v) report('spec.selector.matchLabels', `selector ${k}=${String(v)} does not match the template's labels (spec.template.metadata.labels)`);
  }
}
