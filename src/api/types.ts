// API stage: TypeScript shapes of the resources Trellis accepts (core v1 Service + networking.istio.io kinds), field names exactly as in Istio YAML.

/*
 * Conventions (stable contract for translation, store and CLI):
 * - Every resource is Kubernetes-shaped: { apiVersion, kind, metadata, spec }.
 * - After parseResources(), metadata.namespace is always set ('default' when absent) and Istio
 *   kinds carry apiVersion 'networking.istio.io/v1' (v1beta1/v1alpha3 are the same schema; the
 *   version the user wrote is kept in metadata.annotations[ORIGINAL_API_VERSION_ANNOTATION]).
 * - Optional fields stay optional: defaults are applied by the consumer (translation), not here,
 *   so `get -o yaml` shows what the user wrote.
 * - Durations are Istio duration strings ('1s', '100ms', '1.5s', '1h'); see durationMs() in validate.
 */

export const ISTIO_NETWORKING_GROUP = 'networking.istio.io';
export const ISTIO_API_VERSION = 'networking.istio.io/v1';
export const ACCEPTED_ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;
export const ORIGINAL_API_VERSION_ANNOTATION = 'trellis.io/original-api-version';
export const DEFAULT_NAMESPACE = 'default';
export const CLUSTER_DOMAIN = 'cluster.local';

// ───────────────────────── common envelope ─────────────────────────

export interface ObjectMeta {
  name: string;
  /** Always set after parsing; 'default' when the document omitted it. */
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Resource<K extends string, Spec> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
}

/** Istio duration string, e.g. '1s', '100ms', '1.5s', '1m', '1h'. */
export type Duration = string;

/** istio.networking.v1.Percent: a double in [0, 100]. */
export interface Percent {
  value: number;
}

/** Exactly one of exact / prefix / regex (RE2 syntax). */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface PortSelector {
  number: number;
}

export interface WorkloadSelector {
  labels: Record<string, string>;
}

// ───────────────────────── core v1 Service ─────────────────────────

export interface ServicePort {
  name?: string;
  port: number;
  /** Number or the name of a container port; defaults to `port`. */
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** e.g. 'http', 'http2', 'grpc', 'kubernetes.io/h2c'; Istio prefers this over the name prefix. */
  appProtocol?: string;
  nodePort?: number;
}

export interface ServiceSpec {
  ports?: ServicePort[];
  selector?: Record<string, string>;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  clusterIP?: string;
  externalName?: string;
}

export type Service = Resource<'Service', ServiceSpec>;

// ───────────────────────── VirtualService ─────────────────────────

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
  statPrefix?: string;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: PortSelector;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface HTTPRouteDestination {
  destination: Destination;
  /** Relative share; Istio requires the weights of a route to sum to 100 when more than one is set. */
  weight?: number;
  headers?: Headers;
}

export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  port?: number;
  derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  scheme?: string;
  /** Default 301. */
  redirectCode?: number;
}

export interface HTTPBody {
  string?: string;
  /** base64 in YAML. */
  bytes?: string;
}

export interface HTTPDirectResponse {
  status: number;
  body?: HTTPBody;
}

export interface RegexRewrite {
  match: string;
  rewrite: string;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: RegexRewrite;
}

export interface HTTPRetry {
  attempts: number;
  perTryTimeout?: Duration;
  /** Comma-separated Envoy retry conditions and/or HTTP status codes, e.g. 'gateway-error,connect-failure,503'. */
  retryOn?: string;
  retryRemoteLocalities?: boolean;
}

export interface FaultDelay {
  fixedDelay?: Duration;
  exponentialDelay?: Duration;
  percentage?: Percent;
  /** Deprecated integer percent (0-100); use percentage. */
  percent?: number;
}

export interface FaultAbort {
  httpStatus?: number;
  /** gRPC status name, e.g. 'UNAVAILABLE'. */
  grpcStatus?: string;
  http2Error?: string;
  percentage?: Percent;
}

export interface HTTPFaultInjection {
  delay?: FaultDelay;
  abort?: FaultAbort;
}

export interface HTTPMirrorPolicy {
  destination: Destination;
  percentage?: Percent;
}

export interface CorsPolicy {
  allowOrigins?: StringMatch[];
  /** Deprecated list of exact origins; use allowOrigins. */
  allowOrigin?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: Duration;
  allowCredentials?: boolean;
  unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
}

export interface Delegate {
  name: string;
  namespace?: string;
}

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  delegate?: Delegate;
  rewrite?: HTTPRewrite;
  timeout?: Duration;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  /** Deprecated integer percent; use mirrorPercentage. */
  mirrorPercent?: number;
  mirrorPercentage?: Percent;
  mirrors?: HTTPMirrorPolicy[];
  corsPolicy?: CorsPolicy;
  headers?: Headers;
}

export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceSubnet?: string;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}

export interface TLSMatchAttributes {
  sniHosts: string[];
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSRoute {
  match: TLSMatchAttributes[];
  route?: RouteDestination[];
}

export interface VirtualServiceSpec {
  hosts?: string[];
  /** Gateway names ('ns/name' or 'name' in the VS namespace); the reserved 'mesh' means all sidecars. Absent = ['mesh']. */
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  exportTo?: string[];
}

export type VirtualService = Resource<'VirtualService', VirtualServiceSpec>;

// ───────────────────────── DestinationRule ─────────────────────────

export type SimpleLB = 'UNSPECIFIED' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST';

export interface HTTPCookie {
  name: string;
  path?: string;
  ttl?: Duration;
  attributes?: { name: string; value?: string }[];
}

export interface RingHash {
  minimumRingSize?: number;
}

export interface MagLev {
  tableSize?: number;
}

/** Exactly one hash key (httpHeaderName/httpCookie/useSourceIp/httpQueryParameterName); at most one of ringHash/maglev. */
export interface ConsistentHashLB {
  httpHeaderName?: string;
  httpCookie?: HTTPCookie;
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  ringHash?: RingHash;
  maglev?: MagLev;
  /** Deprecated; use ringHash.minimumRingSize. */
  minimumRingSize?: number;
}

export interface LocalityDistribute {
  /** 'region/zone/subzone', '*' allowed as the last segment. */
  from: string;
  /** locality → weight; weights sum to 100. */
  to: Record<string, number>;
}

export interface LocalityFailover {
  from: string;
  to: string;
}

export interface LocalityLoadBalancerSetting {
  distribute?: LocalityDistribute[];
  failover?: LocalityFailover[];
  /** Label keys (e.g. 'topology.kubernetes.io/region') ordered by priority. */
  failoverPriority?: string[];
  enabled?: boolean;
}

export interface LoadBalancerSettings {
  simple?: SimpleLB;
  consistentHash?: ConsistentHashLB;
  localityLbSetting?: LocalityLoadBalancerSetting;
  warmupDurationSecs?: Duration;
}

export interface TcpKeepalive {
  probes?: number;
  time?: Duration;
  interval?: Duration;
}

export interface TCPSettings {
  maxConnections?: number;
  connectTimeout?: Duration;
  tcpKeepalive?: TcpKeepalive;
  maxConnectionDuration?: Duration;
  idleTimeout?: Duration;
}

export interface HTTPSettings {
  http1MaxPendingRequests?: number;
  http2MaxRequests?: number;
  maxRequestsPerConnection?: number;
  maxRetries?: number;
  idleTimeout?: Duration;
  h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
  useClientProtocol?: boolean;
  maxConcurrentStreams?: number;
}

export interface ConnectionPoolSettings {
  tcp?: TCPSettings;
  http?: HTTPSettings;
}

export interface OutlierDetection {
  splitExternalLocalOriginErrors?: boolean;
  consecutiveLocalOriginFailures?: number;
  consecutiveGatewayErrors?: number;
  consecutive5xxErrors?: number;
  interval?: Duration;
  baseEjectionTime?: Duration;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

export type ClientTLSMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

export interface ClientTLSSettings {
  mode: ClientTLSMode;
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
  caCrl?: string;
}

export interface PortTrafficPolicy {
  port?: PortSelector;
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  /** Overrides per destination port; each entry needs port.number. */
  portLevelSettings?: PortTrafficPolicy[];
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  /** Merged over the rule's top-level trafficPolicy for this subset. */
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
  workloadSelector?: WorkloadSelector;
}

export type DestinationRule = Resource<'DestinationRule', DestinationRuleSpec>;

// ───────────────────────── Gateway ─────────────────────────

/** Istio's Port (Gateway, ServiceEntry, Sidecar): protocol is HTTP|HTTPS|GRPC|HTTP2|MONGO|TCP|TLS (case-insensitive). */
export interface Port {
  number: number;
  protocol?: string;
  name?: string;
  targetPort?: number;
}

export type ServerTLSMode = 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';

export interface ServerTLSSettings {
  httpsRedirect?: boolean;
  mode?: ServerTLSMode;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  caCrl?: string;
  credentialName?: string;
  credentialNames?: string[];
  subjectAltNames?: string[];
  verifyCertificateSpki?: string[];
  verifyCertificateHash?: string[];
  minProtocolVersion?: 'TLS_AUTO' | 'TLSV1_0' | 'TLSV1_1' | 'TLSV1_2' | 'TLSV1_3';
  maxProtocolVersion?: 'TLS_AUTO' | 'TLSV1_0' | 'TLSV1_1' | 'TLSV1_2' | 'TLSV1_3';
  cipherSuites?: string[];
}

export interface Server {
  port: Port;
  bind?: string;
  /** 'host' or 'namespace/host' ('*' and './' allowed for the namespace part). */
  hosts: string[];
  tls?: ServerTLSSettings;
  defaultEndpoint?: string;
  name?: string;
}

export interface GatewaySpec {
  servers: Server[];
  /** Labels of the gateway workloads this applies to (e.g. {istio: ingressgateway}). */
  selector?: Record<string, string>;
}

export type Gateway = Resource<'Gateway', GatewaySpec>;

// ───────────────────────── WorkloadEntry / ServiceEntry ─────────────────────────

export interface WorkloadEntrySpec {
  address?: string;
  /** port name → target port number. */
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  /** 'region/zone/subzone'. */
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

export type WorkloadEntry = Resource<'WorkloadEntry', WorkloadEntrySpec>;

export type ServiceEntryLocation = 'MESH_EXTERNAL' | 'MESH_INTERNAL';
export type ServiceEntryResolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';

export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: Port[];
  location?: ServiceEntryLocation;
  resolution?: ServiceEntryResolution;
  endpoints?: WorkloadEntrySpec[];
  /** Selects WorkloadEntries (and registered workloads) as endpoints; exclusive with endpoints. */
  workloadSelector?: WorkloadSelector;
  exportTo?: string[];
  subjectAltNames?: string[];
}

export type ServiceEntry = Resource<'ServiceEntry', ServiceEntrySpec>;

// ───────────────────────── Sidecar ─────────────────────────

export type CaptureMode = 'DEFAULT' | 'IPTABLES' | 'NONE';

export interface IstioEgressListener {
  port?: Port;
  bind?: string;
  captureMode?: CaptureMode;
  /** 'namespace/dnsName' entries: '*' or '.' (own namespace) or '~' (none) for the namespace part. */
  hosts: string[];
}

export interface IstioIngressListener {
  port: Port;
  bind?: string;
  captureMode?: CaptureMode;
  defaultEndpoint?: string;
  tls?: ServerTLSSettings;
  connectionPool?: ConnectionPoolSettings;
}

export interface OutboundTrafficPolicy {
  mode?: 'REGISTRY_ONLY' | 'ALLOW_ANY';
  egressProxy?: Destination;
}

export interface SidecarSpec {
  workloadSelector?: WorkloadSelector;
  ingress?: IstioIngressListener[];
  egress?: IstioEgressListener[];
  outboundTrafficPolicy?: OutboundTrafficPolicy;
  inboundConnectionPool?: ConnectionPoolSettings;
}

export type Sidecar = Resource<'Sidecar', SidecarSpec>;

// ───────────────────────── PeerAuthentication (security.istio.io) ─────────────────────────

/** UNSET inherits from the parent policy (workload → namespace → mesh); no policy at all is PERMISSIVE. */
export type PeerAuthenticationMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthenticationSpec {
  /** Workloads of the policy's namespace it applies to; absent = the whole namespace (the whole mesh in the root namespace). */
  selector?: { matchLabels?: Record<string, string> };
  mtls?: { mode?: PeerAuthenticationMode };
  /** Per workload port (the port the workload listens on, not the service port); needs a selector. */
  portLevelMtls?: Record<string, { mode?: PeerAuthenticationMode }>;
}

export type PeerAuthentication = Resource<'PeerAuthentication', PeerAuthenticationSpec>;

// ───────────────────────── core v1 Secret ─────────────────────────

/** Secret types trellis serves: TLS credentials only (Opaque holds Istio's generic cert/key/cacert form). */
export const SECRET_TYPES = ['kubernetes.io/tls', 'Opaque'] as const;

/**
 * A core v1 Secret: Kubernetes' shape (type/data/stringData beside metadata, no spec). `data` values are base64;
 * `stringData` is write-only (merged into `data` before storing, as the Kubernetes API server does).
 */
export interface Secret {
  apiVersion: string;
  kind: 'Secret';
  metadata: ObjectMeta;
  /** Absent = Opaque (Kubernetes' default). */
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
  /** Never set: lets code over every kind read `r.spec` (undefined for a Secret). */
  spec?: undefined;
}

// ───────────────────────── security.istio.io (AuthorizationPolicy, RequestAuthentication) ─────────────────────────

export type { AuthorizationPolicy, AuthzAction, AuthzCondition, AuthzOperation, AuthzRule, AuthzSource, JWTRule, RequestAuthentication } from './security-types.js';
import type { AuthorizationPolicy, RequestAuthentication } from './security-types.js';

// ───────────────────────── Kubernetes workload kinds (core v1, apps/v1) ─────────────────────────

export type { Deployment, KubeNamespace, Pod, PodSpec, ServiceAccount, StatefulSet, WorkloadTemplateSpec } from './workload-kinds.js';
import type { Deployment, KubeNamespace, Pod, ServiceAccount, StatefulSet } from './workload-kinds.js';

// ───────────────────────── unions and keys ─────────────────────────

// ───────────────────────── telemetry.istio.io Telemetry ─────────────────────────

export type { Telemetry, TelemetrySpec } from './telemetry-types.js';
import type { Telemetry } from './telemetry-types.js';

export type MeshResource =
  | Service | VirtualService | DestinationRule | Gateway | ServiceEntry | WorkloadEntry | Sidecar | Secret | PeerAuthentication | AuthorizationPolicy
  | RequestAuthentication | Telemetry | ServiceAccount | KubeNamespace | Deployment | StatefulSet | Pod;

export type Kind = MeshResource['kind'];

export const KINDS: readonly Kind[] = [
  'Service',
  'VirtualService',
  'DestinationRule',
  'Gateway',
  'ServiceEntry',
  'WorkloadEntry',
  'Sidecar',
  'Secret',
  'PeerAuthentication',
  'AuthorizationPolicy',
  'RequestAuthentication',
  'Telemetry',
  'ServiceAccount',
  'Namespace',
  'Deployment',
  'StatefulSet',
  'Pod',
];

/** Kinds of the core v1 API group (apiVersion `v1`); the others are networking.istio.io (or security.istio.io). */
export const CORE_KINDS: readonly Kind[] = ['Service', 'Secret', 'ServiceAccount', 'Namespace', 'Pod'];
/** Kubernetes kinds kept as identities and workload templates (Istio's samples carry them); never translated to xDS. */
export const KUBERNETES_WORKLOAD_KINDS = ['ServiceAccount', 'Namespace', 'Deployment', 'StatefulSet', 'Pod'] as const;
/** The kinds that shape proxies' configuration. */
export type ConfigKind = Exclude<Kind, (typeof KUBERNETES_WORKLOAD_KINDS)[number]>;
export const CONFIG_KINDS: readonly ConfigKind[] = KINDS.filter((k): k is ConfigKind => !(KUBERNETES_WORKLOAD_KINDS as readonly string[]).includes(k));
/** Kinds of Kubernetes' apps/v1 group. */
export const APPS_KINDS: readonly Kind[] = ['Deployment', 'StatefulSet'];
/** Kinds stored without a spec of their own (Secret's fields sit beside metadata; the others carry nothing trellis reads). */
export const SPECLESS_KINDS = ['Secret', 'ServiceAccount', 'Namespace'] as const;

export const ISTIO_SECURITY_GROUP = 'security.istio.io';
export const ACCEPTED_SECURITY_VERSIONS = ['v1', 'v1beta1'] as const;
/** Kinds of Istio's security API (security.istio.io v1 / v1beta1, one schema, stored as v1). */
export const SECURITY_KINDS: readonly Kind[] = ['PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'];

export const ISTIO_TELEMETRY_GROUP = 'telemetry.istio.io';
export const ACCEPTED_TELEMETRY_VERSIONS = ['v1', 'v1alpha1'] as const;

/** A kind's API group and the versions accepted for it (one schema, stored as the first). */
export function apiGroupOf(kind: Kind): { group: string; versions: readonly string[] } {
  if (CORE_KINDS.includes(kind)) return { group: '', versions: ['v1'] };
  if (APPS_KINDS.includes(kind)) return { group: 'apps', versions: ['v1'] };
  if (SECURITY_KINDS.includes(kind)) return { group: ISTIO_SECURITY_GROUP, versions: ACCEPTED_SECURITY_VERSIONS };
  if (kind === 'Telemetry') return { group: ISTIO_TELEMETRY_GROUP, versions: ACCEPTED_TELEMETRY_VERSIONS };
  return { group: ISTIO_NETWORKING_GROUP, versions: ACCEPTED_ISTIO_VERSIONS };
}

/** The apiVersion a kind is stored (and printed) with. */
export function storedApiVersion(kind: Kind): string {
  const { group, versions } = apiGroupOf(kind);
  return group === '' ? 'v1' : `${group}/${versions[0]}`;
}

/** Kinds with a spec (every kind but Secret, ServiceAccount and Namespace). */
export type SpecKind = Exclude<Kind, (typeof SPECLESS_KINDS)[number]>;

/** Narrow a MeshResource union by kind: ResourceOfKind<'Gateway'> = Gateway. */
export type ResourceOfKind<K extends Kind> = Extract<MeshResource, { kind: K }>;

/** `${kind}/${namespace}/${name}`: the identity of a resource in the store (apiVersion is not part of it). */
export type ResourceKey = `${Kind}/${string}/${string}`;

export function resourceKey(r: { kind: Kind; metadata: { namespace?: string; name: string } }): ResourceKey {
  return `${r.kind}/${r.metadata.namespace ?? DEFAULT_NAMESPACE}/${r.metadata.name}`;
}

export function parseResourceKey(key: string): { kind: Kind; namespace: string; name: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 3) return undefined;
  const [kind, namespace, name] = parts as [string, string, string];
  if (!(KINDS as readonly string[]).includes(kind) || namespace === '' || name === '') return undefined;
  return { kind: kind as Kind, namespace, name };
}

/** 'Kind ns/name', the way istioctl names a resource in messages. */
export function resourceRef(r: { kind: string; metadata: { namespace?: string; name: string } }): string {
  return `${r.kind} ${r.metadata.namespace ?? DEFAULT_NAMESPACE}/${r.metadata.name}`;
}

export function isKind<K extends Kind>(r: MeshResource, kind: K): r is ResourceOfKind<K> {
  return r.kind === kind;
}
