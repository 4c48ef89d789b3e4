// API stage: the Kubernetes workload kinds Istio's samples carry beside their Services — ServiceAccount and Namespace
// (identities and namespaces), Deployment, StatefulSet and Pod (kept as workload templates: labels, service account,
// ports, replicas, for `trellis run --workload`). Only the fields trellis reads are typed; the rest is kept as given.
import type { ObjectMeta } from './types.js';

export interface ServiceAccount {
  apiVersion: string;
  kind: 'ServiceAccount';
  metadata: ObjectMeta;
  spec?: undefined;
}

/** A core v1 Namespace: cluster-scoped (stored under the default namespace's key space). */
export interface KubeNamespace {
  apiVersion: string;
  kind: 'Namespace';
  metadata: ObjectMeta;
  spec?: undefined;
}

export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface PodSpec {
  serviceAccountName?: string;
  /** Deprecated alias of serviceAccountName, still honoured by Kubernetes. */
  serviceAccount?: string;
  containers?: { name: string; image?: string; ports?: ContainerPort[]; [field: string]: unknown }[];
  [field: string]: unknown;
}

export interface WorkloadTemplateSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown };
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown }; spec?: PodSpec };
  [field: string]: unknown;
}

export interface Deployment {
  apiVersion: string;
  kind: 'Deployment';
  metadata: ObjectMeta;
  spec: WorkloadTemplateSpec;
}

export interface StatefulSet {
  apiVersion: string;
  kind: 'StatefulSet';
  metadata: ObjectMeta;
  spec: WorkloadTemplateSpec;
}

export interface Pod {
  apiVersion: string;
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
}
