// Model stage: the immutable Snapshot (Istio's PushContext) and ProxyNode shapes that translation reads.
import type { AuthorizationPolicy, DestinationRule, Gateway, PeerAuthentication, RequestAuthentication, Secret, Sidecar, Telemetry, VirtualService } from '../../api/types.js';
import type { MeshConfig } from '../../api/mesh-config.js';

/** Istio's port protocols (case as Istio writes them); anything not HTTP-family is treated as opaque TCP. */
export type PortProtocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP' | 'HTTPS' | 'TLS' | 'MONGO' | 'UDP' | 'UNKNOWN';

export interface ServicePortInfo {
  name: string;
  /** The service port clients address (the `:9080` in `reviews:9080`, the port in cluster names). */
  port: number;
  protocol: PortProtocol;
}

/** Istio's ServiceEntry resolutions; core Services are STATIC (endpoints come from the registry). */
export type Resolution = 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'NONE';

export interface ServiceInfo {
  /** FQDN, e.g. `reviews.default.svc.cluster.local`, or the ServiceEntry host (`api.example.com`, `*.example.com`). Unique in a Snapshot. */
  hostname: string;
  namespace: string;
  /** Short name: the core Service's metadata.name, or the ServiceEntry's. */
  name: string;
  /** In the order the resource declared them; the first HTTP-family port owns the port-less Host forms. */
  ports: readonly ServicePortInfo[];
  resolution: Resolution;
  origin: 'Service' | 'ServiceEntry';
  /** ServiceEntry location; core Services are MESH_INTERNAL. */
  meshExternal: boolean;
  /** Istio exportTo ('*' all, '.' own namespace, or namespace names); absent = '*'. */
  exportTo?: readonly string[];
  /** ServiceEntry subjectAltNames: identities the service's servers may present, beside its endpoints' service accounts. */
  subjectAltNames?: readonly string[];
}

export interface Locality {
  region: string;
  zone: string;
  subzone: string;
}

/** One endpoint of one service port. */
export interface InstanceInfo {
  /** ServiceInfo.hostname this endpoint belongs to. */
  service: string;
  /** The service port (ServicePortInfo.port) it serves. */
  servicePort: number;
  /** IP, or a DNS name for DNS-resolved ServiceEntries. */
  address: string;
  /**
   * Where peers connect: for a workload behind a Trellis sidecar this is the sidecar's inbound port
   * (there are no iptables to redirect the target port); for WorkloadEntry/ServiceEntry endpoints the target port.
   */
  port: number;
  labels: Readonly<Record<string, string>>;
  locality?: Locality;
  /** Load-balancing weight, >= 1 (default 1). */
  weight: number;
  serviceAccount?: string;
  /** The workload's namespace, which its SPIFFE identity names (absent: the service's). */
  namespace?: string;
  /** 'istio' when the workload has a sidecar that accepts mesh mTLS (auto-mTLS sends it mTLS); absent = plaintext only. */
  tlsMode?: 'istio';
  /** The port the workload listens on behind its sidecar (PeerAuthentication's portLevelMtls key); absent = `port`. */
  workloadPort?: number;
  healthy: boolean;
}

/**
 * A change class that triggers pushes: a resource kind, 'endpoints' for registry-only changes, 'identities' when the
 * service accounts (or sidecar presence) behind a service changed — the SANs auto-mTLS clusters verify — or
 * 'trustBundle' (the mesh trust bundle, the CA's roots).
 */
export type ChangeKind =
  | 'Service'
  | 'VirtualService'
  | 'DestinationRule'
  | 'Gateway'
  | 'ServiceEntry'
  | 'WorkloadEntry'
  | 'Sidecar'
  | 'Secret'
  | 'PeerAuthentication'
  | 'AuthorizationPolicy'
  | 'RequestAuthentication'
  | 'Telemetry'
  | 'endpoints'
  | 'identities'
  | 'trustBundle';

/** Lookups precomputed once per Snapshot so translation only does map reads. */
export interface SnapshotIndex {
  servicesByHost: ReadonlyMap<string, ServiceInfo>;
  /** hostname → its instances, sorted by (servicePort, address, port). */
  instancesByService: ReadonlyMap<string, readonly InstanceInfo[]>;
  /** FQDN host or wildcard pattern (resolved in the VS namespace) → VirtualServices naming it, sorted by namespace/name. */
  virtualServicesByHost: ReadonlyMap<string, readonly VirtualService[]>;
  /** FQDN host or wildcard pattern (resolved in the DR namespace) → DestinationRules for it, sorted by namespace/name. */
  destinationRulesByHost: ReadonlyMap<string, readonly DestinationRule[]>;
  /** 'namespace/name' → VirtualService without hosts: only those can be the target of another one's http[].delegate. */
  delegateVirtualServices: ReadonlyMap<string, VirtualService>;
  /** The wildcard keys of virtualServicesByHost, most specific (longest) first. */
  virtualServiceWildcards: readonly string[];
  /** The wildcard keys of destinationRulesByHost, most specific (longest) first. */
  destinationRuleWildcards: readonly string[];
  /** namespace → Sidecars in it, sorted by name. */
  sidecarsByNamespace: ReadonlyMap<string, readonly Sidecar[]>;
  /** 'namespace/name' → Gateway. */
  gatewaysByName: ReadonlyMap<string, Gateway>;
  /** 'namespace/name' → Secret (TLS credentials served over SDS to proxies of that namespace). */
  secretsByName: ReadonlyMap<string, Secret>;
  /** Every namespace that has a service or resource, for short-name resolution (`reviews.prod`). */
  namespaces: ReadonlySet<string>;
  /** namespace → PeerAuthentications in it, sorted by name. */
  peerAuthenticationsByNamespace: ReadonlyMap<string, readonly PeerAuthentication[]>;
}

/** Immutable input of translation, built once per config/registry change (see buildSnapshot). */
export interface Snapshot {
  /** Opaque version of the inputs (e.g. the store revision plus a registry generation). */
  readonly version: string;
  /** Istio's root namespace: its Sidecar without a selector is the mesh-wide default. */
  readonly rootNamespace: string;
  /** SPIFFE trust domain of the mesh's workload identities (spiffe://<trustDomain>/ns/<ns>/sa/<sa>). */
  readonly trustDomain: string;
  /** The mesh config (trellis control --mesh-config): ext_authz providers, trust domain aliases, gateway topology. */
  readonly mesh: MeshConfig;
  /** The mesh roots (PEM), served to proxies as the SDS secret ROOTCA; '' when the control plane has no CA (tests). */
  readonly trustBundlePem: string;
  /** Sorted by hostname. */
  readonly services: readonly ServiceInfo[];
  readonly instances: readonly InstanceInfo[];
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  readonly gateways: readonly Gateway[];
  readonly sidecars: readonly Sidecar[];
  readonly peerAuthentications: readonly PeerAuthentication[];
  /** Sorted by namespace/name. */
  readonly secrets: readonly Secret[];
  /** Sorted by namespace/name. */
  readonly authorizationPolicies: readonly AuthorizationPolicy[];
  readonly requestAuthentications: readonly RequestAuthentication[];
  /** Sorted by namespace/name. */
  readonly telemetries: readonly Telemetry[];
  /** JWKS text the control plane fetched, by jwksUri (or `oidc:<issuer>` for discovery); missing = not fetched (yet). */
  readonly jwks: ReadonlyMap<string, string>;
  readonly index: SnapshotIndex;
}

export type ProxyType = 'sidecar' | 'router' | 'proxyless';

/** The proxy a push is for, parsed from its xDS Node (see proxyNodeFromNode). */
export interface ProxyNode {
  id: string;
  type: ProxyType;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** First of INSTANCE_IPS; '' when unknown. */
  ip: string;
  serviceAccount: string;
  /** The Service this workload serves (short name in `namespace`, or an FQDN). */
  serviceName?: string;
  servicePort?: number;
  /** Where the local app listens (on 127.0.0.1) for inbound traffic. */
  appPort?: number;
  /** Sidecar outbound listener port (default 15001). */
  outboundPort: number;
  /** Sidecar inbound listener port (default 15006). */
  inboundPort: number;
  /** The proxy's admin port when it said (TRELLIS_ADMIN_PORT): egress listeners must not take it. */
  adminPort?: number;
  /** Istio's workload (deployment) name: WORKLOAD_NAME, else `<app>-<version>` from the labels. */
  workloadName: string;
  /** Where the proxy serves Istio's metrics (TRELLIS_PROMETHEUS_PORT), on `ip`. */
  prometheusPort?: number;
  locality?: Locality;
  /** Delta xDS stream: the sidecar's `outbound` virtual hosts travel by VHDS (one resource each), not inline in RDS. */
  vhds?: boolean;
  /** The stream proved this namespace and service account (authenticated xDS); absent on the plaintext port. */
  verified?: boolean;
}
