// Registry stage: the shapes of registered workloads and the registry state the snapshot builder reads.

import type { Locality } from '../model/types.js';

/**
 * A workload that registered itself by connecting over ADS (Istio's WorkloadGroup auto-registration), as kept
 * under an ephemeral store key. Only what endpoints and analysis need; no connection state, so a reconnect that
 * re-puts the same value changes nothing downstream.
 */
export interface RegisteredWorkload {
  /** The ephemeral key it lives under (`registry/workloads/<namespace>/<node id>`). */
  key: string;
  /** The pod-like name (the name part of an Istio node id, else the node id). */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** The workload's IP (first of INSTANCE_IPS). */
  address: string;
  /** Where peers reach it: a sidecar's inbound port, a proxyless server's app port. */
  port: number;
  proxyType: 'sidecar' | 'router' | 'proxyless';
  /** TRELLIS_SERVICE / TRELLIS_SERVICE_PORT: the service it says it serves. */
  serviceName?: string;
  servicePort?: number;
  /** A sidecar's TRELLIS_APP_PORT: the port its app listens on (PeerAuthentication portLevelMtls is keyed by it). */
  appPort?: number;
  locality?: Locality;
  weight: number;
}

/** A registry change (the snapshot only needs to know *that* workloads changed: EDS-class changes). */
export interface RegistryEvent {
  kind: 'endpoints';
  key: string;
  op: 'put' | 'delete';
}

/** Read side of the registry, what ingestion and the HTTP API depend on (a fake is easy). */
export interface WorkloadSource {
  /** The registered workloads now, sorted by key. */
  workloads(): readonly RegisteredWorkload[];
  onChange(fn: (ev: RegistryEvent) => void): () => void;
}
