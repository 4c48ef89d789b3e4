// API stage: what trellis does with each Istio MeshConfig and ProxyConfig (defaultConfig) field it does not apply —
// ignored with a reason (observability, Kubernetes-only or per-process settings) or refused (it would change traffic or trust).

export type FieldFate = { ignore: string } | { refuse: string };

const OBSERVABILITY = 'observability only; telemetry is configured separately (issue #9)';
const KUBERNETES = 'Kubernetes-only; trellis has no Kubernetes controller';
const PER_PROXY = 'set per proxy by `trellis proxy` flags, not by the mesh config';

/** MeshConfig fields, by their YAML (JSON) name, that trellis does not apply. Fields applied are handled in mesh-config.ts. */
export const MESH_FIELDS: Readonly<Record<string, FieldFate>> = {
  enableEnvoyAccessLogService: { ignore: OBSERVABILITY },
  disableEnvoyListenerLog: { ignore: OBSERVABILITY },
  enablePrometheusMerge: { ignore: OBSERVABILITY },
  inboundClusterStatName: { ignore: OBSERVABILITY },
  outboundClusterStatName: { ignore: OBSERVABILITY },
  ingressClass: { ignore: `${KUBERNETES} Ingress` },
  ingressService: { ignore: `${KUBERNETES} Ingress` },
  ingressControllerMode: { ignore: `${KUBERNETES} Ingress` },
  ingressSelector: { ignore: `${KUBERNETES} Ingress` },
  proxyListenPort: { ignore: PER_PROXY },
  proxyInboundListenPort: { ignore: PER_PROXY },
  proxyHttpPort: { refuse: 'sidecars have no HTTP CONNECT proxy port' },
  connectTimeout: { refuse: 'the mesh-wide connect timeout is not translated; set a DestinationRule connectionPool.tcp.connectTimeout' },
  protocolDetectionTimeout: { refuse: 'protocol sniffing timeouts are not translated' },
  tcpKeepalive: { refuse: 'mesh-wide TCP keepalive is not translated; set a DestinationRule connectionPool.tcp.tcpKeepalive' },
  hboneIdleTimeout: { refuse: 'ambient (HBONE) is not supported' },
  inboundTrafficPolicy: { refuse: 'inbound traffic always goes to the app on 127.0.0.1 (--app-port)' },
  configSources: { refuse: 'trellis keeps its own config store' },
  caCertificates: { refuse: 'extra trust anchors are not supported; plug the roots in with trellis control --root-cert' },
  defaultServiceExportTo: { refuse: 'a mesh-wide exportTo default is not translated; set exportTo on each resource' },
  defaultVirtualServiceExportTo: { refuse: 'a mesh-wide exportTo default is not translated; set exportTo on each resource' },
  defaultDestinationRuleExportTo: { refuse: 'a mesh-wide exportTo default is not translated; set exportTo on each resource' },
  localityLbSetting: { refuse: 'a mesh-wide locality setting is not translated; set a DestinationRule loadBalancer.localityLbSetting' },
  zoneAwareLbSetting: { refuse: 'zone-aware load balancing is not translated' },
  dnsRefreshRate: { refuse: 'the DNS refresh rate is not translated' },
  h2UpgradePolicy: { refuse: 'a mesh-wide h2 upgrade is not translated; set a DestinationRule connectionPool.http.h2UpgradePolicy' },
  certificates: { refuse: 'deprecated DNS certificates are not supported' },
  serviceSettings: { refuse: 'cluster-local services are not translated (one cluster)' },
  serviceScopeConfigs: { refuse: 'ambient service scopes are not supported' },
  verifyCertificateAtClient: { refuse: 'deprecated; certificates are verified per DestinationRule' },
  ca: { refuse: 'an external CA is not supported; the mesh CA signs workload certificates' },
  discoverySelectors: { refuse: 'namespace discovery selectors are not translated; every namespace is served' },
  pathNormalization: { refuse: 'path normalization modes are not translated' },
  defaultHttpRetryPolicy: { refuse: 'a mesh-wide retry default is not translated; set VirtualService retries' },
  meshMTLS: { refuse: 'mesh mTLS TLS versions are not translated' },
  tlsDefaults: { refuse: 'mesh TLS defaults (curves, ciphers) are not translated' },
  compliancePolicy: { refuse: 'compliance policies are not supported' },
  defaultTrafficPolicy: { refuse: 'a mesh-wide traffic policy is not translated; use DestinationRules' },
  serviceEntryVisibility: { refuse: 'ServiceEntry visibility defaults are not translated' },
};

/** ProxyConfig (`defaultConfig`) fields trellis does not apply. `gatewayTopology` is applied in mesh-config.ts. */
export const PROXY_FIELDS: Readonly<Record<string, FieldFate>> = {
  zipkinAddress: { ignore: OBSERVABILITY },
  statsdUdpAddress: { ignore: OBSERVABILITY },
  envoyMetricsServiceAddress: { ignore: OBSERVABILITY },
  envoyMetricsService: { ignore: OBSERVABILITY },
  envoyAccessLogService: { ignore: OBSERVABILITY },
  extraStatTags: { ignore: OBSERVABILITY },
  proxyStatsMatcher: { ignore: OBSERVABILITY },
  statNameLength: { ignore: OBSERVABILITY },
  statsCompression: { ignore: OBSERVABILITY },
  fileFlushInterval: { ignore: OBSERVABILITY },
  fileFlushMinSizeKb: { ignore: OBSERVABILITY },
  serviceCluster: { ignore: OBSERVABILITY },
  tracingServiceName: { ignore: OBSERVABILITY },
  discoveryAddress: { ignore: `${PER_PROXY} (--control-plane)` },
  discoveryRefreshDelay: { ignore: 'deprecated; xDS is pushed' },
  proxyAdminPort: { ignore: `${PER_PROXY} (--admin-port)` },
  proxyMetadata: { ignore: `${PER_PROXY} (--labels, --namespace, --service-account)` },
  concurrency: { ignore: 'a trellis proxy is one Node.js process' },
  drainDuration: { ignore: PER_PROXY },
  terminationDrainDuration: { ignore: PER_PROXY },
  configPath: { ignore: PER_PROXY },
  binaryPath: { ignore: PER_PROXY },
  customConfigFile: { ignore: PER_PROXY },
  proxyBootstrapTemplatePath: { ignore: PER_PROXY },
  availabilityZone: { ignore: 'deprecated; proxies give their locality' },
  controlPlaneAuthPolicy: { ignore: 'xDS authentication is set by trellis control and proxy flags' },
  sds: { ignore: 'deprecated; certificates always come over SDS' },
  interceptionMode: { ignore: 'sidecars capture no traffic (no iptables): apps use the outbound listener' },
  holdApplicationUntilProxyStarts: { ignore: KUBERNETES },
  image: { ignore: KUBERNETES },
  readinessProbe: { ignore: KUBERNETES },
  statusPort: { ignore: KUBERNETES },
  meshId: { ignore: 'one mesh per control plane' },
  caCertificatesPem: { refuse: 'extra trust anchors for the proxies are not supported' },
  privateKeyProvider: { refuse: 'private key providers (CryptoMB, QAT) are not supported' },
  runtimeValues: { refuse: 'mesh-wide runtime values are not translated' },
  proxyHeaders: { refuse: 'proxy header settings are not translated' },
  connectionSettings: { refuse: 'connection settings are not translated' },
};

/** Istio's ProxyConfig.gatewayTopology fields trellis applies or refuses. */
export const TOPOLOGY_FIELDS: Readonly<Record<string, FieldFate | 'apply'>> = {
  numTrustedProxies: 'apply',
  forwardClientCertDetails: { refuse: 'x-forwarded-client-cert handling is not translated' },
  proxyProtocol: { refuse: 'PROXY protocol on gateways is not translated' },
};
