// CLI: the JSON shapes of the control plane's HTTP API (/api/v1), as the contract between the CLI and `trellis control` defines them.
import type { MeshResource } from '../api/types.js';

export type ApplyOp = 'created' | 'updated' | 'unchanged';

export interface ApplyResponse {
  revision: number;
  changes: { key: string; op: ApplyOp | string }[];
  /** Kubernetes objects the control plane left out (kinds with no meaning in a Trellis mesh); absent from older servers. */
  skipped?: { kind: string; name: string; namespace: string }[];
}

export interface DeleteResponse {
  revision: number;
  deleted: string[];
}

export interface RevisionEntry {
  revision: number;
  time: string;
  author: string;
  message: string;
  changes: { key: string; op: string }[];
}

export interface RollbackResponse {
  revision: number;
}

export interface DiffEntry {
  key: string;
  op: 'added' | 'removed' | 'changed';
  before?: MeshResource;
  after?: MeshResource;
}

export interface AnalyzeMessage {
  code: string;
  name: string;
  level: string;
  resource: string;
  path?: string;
  message: string;
}

export interface AnalyzeResponse {
  messages: AnalyzeMessage[];
}

export type XdsShort = 'CDS' | 'LDS' | 'EDS' | 'RDS';

export interface XdsTypeStatus {
  status: string;
  sentVersion?: string;
  ackedVersion?: string;
  error?: string;
}

export interface ProxyInfo {
  id: string;
  /** `pod.namespace` (istioctl's NAME); absent from older servers. */
  name?: string;
  workload?: string;
  namespace: string;
  labels?: Record<string, string>;
  type?: string;
  address?: string;
  connectedAt?: string;
  status?: string;
  types?: Partial<Record<XdsShort, XdsTypeStatus>>;
  /** The SPIFFE identity the proxy proved, and the service account its node declares. */
  identity?: string;
  serviceAccount?: string;
  /** Its sidecar's ports, from the node metadata. */
  ports?: { outbound: number; inbound: number; admin?: number; prometheus?: number };
  /** Replicas sharing a store: the replica the proxy is connected to. */
  controlPlane?: string;
}
