// API stage: the structural schema of every accepted kind, field names exactly as in Istio's networking.istio.io/v1 protos and core v1 Service.
import { deploymentSpec, podSpec, statefulSetSpec } from './validate-workload-kinds.js';
import { anything, arr, bool, int, intOrString, map, num, obj, oneOfValues, str, strMap, uint, type ObjectSchema, type Schema } from './schema.js';
import type { SpecKind } from './types.js';
import { authorizationPolicySpec, requestAuthenticationSpec } from './security-schemas.js';

const duration = str(); // syntax and minimum checked semantically (durationError) for a precise message
const portNumber = int(1, 65535);
const percent = obj('Percent', { value: num(0, 100) });

const stringMatch = obj('StringMatch', { exact: str(), prefix: str(), regex: str() }, { atMostOne: [['exact', 'prefix', 'regex']] });
const stringMatchMap = map(stringMatch);
const portSelector = obj('PortSelector', { number: portNumber }, { required: ['number'] });
const workloadSelector = obj('WorkloadSelector', { labels: strMap });

export const destination = obj('Destination', { host: str(true), subset: str(), port: portSelector }, { required: ['host'] });

const headerOps = obj('HeaderOperations', { set: strMap, add: strMap, remove: arr(str(true)) });
const headers = obj('Headers', { request: headerOps, response: headerOps });

const httpMatch = obj('HTTPMatchRequest', {
  name: str(),
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: stringMatchMap,
  port: portNumber,
  sourceLabels: strMap,
  gateways: arr(str(true)),
  queryParams: stringMatchMap,
  ignoreUriCase: bool,
  withoutHeaders: stringMatchMap,
  sourceNamespace: str(),
  statPrefix: str(),
});

const httpRouteDestination = obj('HTTPRouteDestination', { destination, weight: int(0), headers }, { required: ['destination'] });
const routeDestination = obj('RouteDestination', { destination, weight: int(0) }, { required: ['destination'] });

const redirect = obj(
  'HTTPRedirect',
  {
    uri: str(),
    authority: str(),
    port: portNumber,
    derivePort: oneOfValues('FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'),
    scheme: str(),
    redirectCode: uint(),
  },
  { atMostOne: [['port', 'derivePort']] },
);

const directResponse = obj(
  'HTTPDirectResponse',
  { status: uint(), body: obj('HTTPBody', { string: str(), bytes: str() }, { atMostOne: [['string', 'bytes']] }) },
  { required: ['status'] },
);

const rewrite = obj(
  'HTTPRewrite',
  { uri: str(), authority: str(), uriRegexRewrite: obj('RegexRewrite', { match: str(), rewrite: str() }) },
  { atMostOne: [['uri', 'uriRegexRewrite']] },
);

const retries = obj('HTTPRetry', { attempts: int(0), perTryTimeout: duration, retryOn: str(), retryRemoteLocalities: bool });

const fault = obj('HTTPFaultInjection', {
  delay: obj(
    'Delay',
    { fixedDelay: duration, exponentialDelay: duration, percentage: percent, percent: int(0, 100) },
    { exactlyOne: [['fixedDelay', 'exponentialDelay']], atMostOne: [['percentage', 'percent']] },
  ),
  abort: obj(
    'Abort',
    { httpStatus: int(), grpcStatus: str(), http2Error: str(), percentage: percent },
    { exactlyOne: [['httpStatus', 'grpcStatus', 'http2Error']] },
  ),
});

const corsPolicy = obj(
  'CorsPolicy',
  {
    allowOrigins: arr(stringMatch),
    allowOrigin: arr(str()),
    allowMethods: arr(str(true)),
    allowHeaders: arr(str(true)),
    exposeHeaders: arr(str(true)),
    maxAge: duration,
    allowCredentials: bool,
    unmatchedPreflights: oneOfValues('UNSPECIFIED', 'FORWARD', 'IGNORE'),
  },
  { atMostOne: [['allowOrigins', 'allowOrigin']] },
);

export const httpRoute = obj(
  'HTTPRoute',
  {
    name: str(),
    match: arr(httpMatch),
    route: arr(httpRouteDestination),
    redirect,
    directResponse,
    delegate: obj('Delegate', { name: str(true), namespace: str() }, { required: ['name'] }),
    rewrite,
    timeout: duration,
    retries,
    fault,
    mirror: destination,
    mirrorPercent: int(0, 100),
    mirrorPercentage: percent,
    mirrors: arr(obj('HTTPMirrorPolicy', { destination, percentage: percent }, { required: ['destination'] })),
    corsPolicy,
    headers,
  },
  { atMostOne: [['route', 'redirect', 'directResponse', 'delegate'], ['mirror', 'mirrors'], ['mirrorPercent', 'mirrorPercentage']] },
);

const l4Match = obj('L4MatchAttributes', {
  destinationSubnets: arr(str(true)),
  port: portNumber,
  sourceSubnet: str(),
  sourceLabels: strMap,
  gateways: arr(str(true)),
  sourceNamespace: str(),
});

const tlsMatch = obj(
  'TLSMatchAttributes',
  {
    sniHosts: arr(str(true)),
    destinationSubnets: arr(str(true)),
    port: portNumber,
    sourceLabels: strMap,
    gateways: arr(str(true)),
    sourceNamespace: str(),
  },
  { required: ['sniHosts'] },
);

const virtualServiceSpec = obj('VirtualService', {
  hosts: arr(str(true)),
  gateways: arr(str(true)),
  http: arr(httpRoute),
  tls: arr(obj('TLSRoute', { match: arr(tlsMatch), route: arr(routeDestination) }, { required: ['match'] })),
  tcp: arr(obj('TCPRoute', { match: arr(l4Match), route: arr(routeDestination) })),
  exportTo: arr(str(true)),
});

// ───────── DestinationRule ─────────

const consistentHash = obj(
  'ConsistentHashLB',
  {
    httpHeaderName: str(true),
    httpCookie: obj(
      'HTTPCookie',
      { name: str(true), path: str(), ttl: duration, attributes: arr(obj('Attribute', { name: str(true), value: str() }, { required: ['name'] })) },
      { required: ['name'] },
    ),
    useSourceIp: bool,
    httpQueryParameterName: str(true),
    ringHash: obj('RingHash', { minimumRingSize: uint() }),
    maglev: obj('MagLev', { tableSize: uint() }),
    minimumRingSize: uint(),
  },
  {
    exactlyOne: [['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName']],
    atMostOne: [['ringHash', 'maglev', 'minimumRingSize']],
  },
);

const localityLb = obj('LocalityLoadBalancerSetting', {
  distribute: arr(obj('Distribute', { from: str(true), to: map(uint()) }, { required: ['from', 'to'] })),
  failover: arr(obj('Failover', { from: str(true), to: str(true) }, { required: ['from', 'to'] })),
  failoverPriority: arr(str(true)),
  enabled: bool,
});

const loadBalancer = obj(
  'LoadBalancerSettings',
  {
    simple: oneOfValues('UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'),
    consistentHash,
    localityLbSetting: localityLb,
    warmupDurationSecs: duration,
  },
  { atMostOne: [['simple', 'consistentHash']] },
);

export const connectionPool = obj('ConnectionPoolSettings', {
  tcp: obj('TCPSettings', {
    maxConnections: int(0),
    connectTimeout: duration,
    tcpKeepalive: obj('TcpKeepalive', { probes: uint(), time: duration, interval: duration }),
    maxConnectionDuration: duration,
    idleTimeout: duration,
  }),
  http: obj('HTTPSettings', {
    http1MaxPendingRequests: int(0),
    http2MaxRequests: int(0),
    maxRequestsPerConnection: int(0),
    maxRetries: int(0),
    idleTimeout: duration,
    h2UpgradePolicy: oneOfValues('DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'),
    useClientProtocol: bool,
    maxConcurrentStreams: int(0),
  }),
});

const outlierDetection = obj('OutlierDetection', {
  splitExternalLocalOriginErrors: bool,
  consecutiveLocalOriginFailures: uint(),
  consecutiveGatewayErrors: uint(),
  consecutive5xxErrors: uint(),
  consecutiveErrors: int(0), // deprecated in Istio, still accepted
  interval: duration,
  baseEjectionTime: duration,
  maxEjectionPercent: int(0, 100),
  minHealthPercent: int(0, 100),
});

const clientTls = obj(
  'ClientTLSSettings',
  {
    mode: oneOfValues('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'),
    clientCertificate: str(),
    privateKey: str(),
    caCertificates: str(),
    credentialName: str(),
    subjectAltNames: arr(str(true)),
    sni: str(),
    insecureSkipVerify: bool,
    caCrl: str(),
  },
  { required: ['mode'] },
);

const portTrafficPolicy = obj(
  'PortTrafficPolicy',
  { port: portSelector, loadBalancer, connectionPool, outlierDetection, tls: clientTls },
  { required: ['port'] },
);

const trafficPolicy = obj('TrafficPolicy', {
  loadBalancer,
  connectionPool,
  outlierDetection,
  tls: clientTls,
  portLevelSettings: arr(portTrafficPolicy),
});

const destinationRuleSpec = obj(
  'DestinationRule',
  {
    host: str(true),
    trafficPolicy,
    subsets: arr(obj('Subset', { name: str(true), labels: strMap, trafficPolicy }, { required: ['name'] })),
    exportTo: arr(str(true)),
    workloadSelector,
  },
  { required: ['host'] },
);

// ───────── Gateway / ServiceEntry / WorkloadEntry / Sidecar ─────────

const istioPort = obj('Port', { number: portNumber, protocol: str(), name: str(), targetPort: portNumber }, { required: ['number'] });
const tlsVersion = oneOfValues('TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3');

const serverTls = obj('ServerTLSSettings', {
  httpsRedirect: bool,
  mode: oneOfValues('PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'),
  serverCertificate: str(),
  privateKey: str(),
  caCertificates: str(),
  caCrl: str(),
  credentialName: str(),
  credentialNames: arr(str(true)),
  subjectAltNames: arr(str(true)),
  verifyCertificateSpki: arr(str(true)),
  verifyCertificateHash: arr(str(true)),
  minProtocolVersion: tlsVersion,
  maxProtocolVersion: tlsVersion,
  cipherSuites: arr(str(true)),
});

const gatewaySpec = obj(
  'Gateway',
  {
    servers: arr(
      obj(
        'Server',
        { port: istioPort, bind: str(), hosts: arr(str(true)), tls: serverTls, defaultEndpoint: str(), name: str() },
        { required: ['port', 'hosts'] },
      ),
    ),
    selector: strMap,
  },
  { required: ['servers'] },
);

const workloadEntryFields: Record<string, Schema> = {
  address: str(),
  ports: map(int(1, 65535)),
  labels: strMap,
  network: str(),
  locality: str(),
  weight: uint(),
  serviceAccount: str(),
};

const workloadEntrySpec = obj('WorkloadEntry', workloadEntryFields);

const serviceEntrySpec = obj(
  'ServiceEntry',
  {
    hosts: arr(str(true)),
    addresses: arr(str(true)),
    ports: arr(istioPort),
    location: oneOfValues('MESH_EXTERNAL', 'MESH_INTERNAL'),
    resolution: oneOfValues('NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'),
    endpoints: arr(obj('WorkloadEntry', workloadEntryFields)),
    workloadSelector,
    exportTo: arr(str(true)),
    subjectAltNames: arr(str(true)),
  },
  { required: ['hosts'], atMostOne: [['endpoints', 'workloadSelector']] },
);

const captureMode = oneOfValues('DEFAULT', 'IPTABLES', 'NONE');

const sidecarSpec = obj('Sidecar', {
  workloadSelector,
  ingress: arr(
    obj(
      'IstioIngressListener',
      { port: istioPort, bind: str(), captureMode, defaultEndpoint: str(), tls: serverTls, connectionPool },
      { required: ['port'] },
    ),
  ),
  egress: arr(obj('IstioEgressListener', { port: istioPort, bind: str(), captureMode, hosts: arr(str(true)) }, { required: ['hosts'] })),
  outboundTrafficPolicy: obj('OutboundTrafficPolicy', { mode: oneOfValues('REGISTRY_ONLY', 'ALLOW_ANY'), egressProxy: destination }),
  inboundConnectionPool: connectionPool,
});

// ───────── core v1 Service ─────────

const servicePort = obj(
  'ServicePort',
  {
    name: str(),
    port: portNumber,
    targetPort: intOrString,
    protocol: oneOfValues('TCP', 'UDP', 'SCTP'),
    appProtocol: str(),
    nodePort: int(1, 65535),
  },
  { required: ['port'] },
);

// Fields of a Kubernetes ServiceSpec that Trellis ignores but accepts, so `kubectl get svc -o yaml` output applies as is.
const ignoredServiceFields = [
  'clusterIPs', 'externalIPs', 'sessionAffinity', 'sessionAffinityConfig', 'loadBalancerIP', 'loadBalancerSourceRanges',
  'loadBalancerClass', 'externalTrafficPolicy', 'internalTrafficPolicy', 'healthCheckNodePort', 'publishNotReadyAddresses',
  'ipFamilies', 'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'trafficDistribution',
];

const serviceSpec = obj('ServiceSpec', {
  ports: arr(servicePort),
  selector: strMap,
  type: oneOfValues('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
  clusterIP: str(),
  externalName: str(),
  ...Object.fromEntries(ignoredServiceFields.map((f) => [f, anything])),
});

// ───────── security.istio.io PeerAuthentication ─────────

const peerMtls = obj('MutualTls', { mode: oneOfValues('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT') });

const peerAuthenticationSpec = obj('PeerAuthentication', {
  selector: obj('WorkloadSelector', { matchLabels: strMap }),
  mtls: peerMtls,
  portLevelMtls: map(peerMtls),
});

// ───────── telemetry.istio.io Telemetry ─────────

const workloadMode = oneOfValues('CLIENT', 'SERVER', 'CLIENT_AND_SERVER');
const modeMatch = obj('WorkloadModeSelector', { mode: workloadMode });
const providerRefs = arr(obj('ProviderRef', { name: str(true) }, { required: ['name'] }));
const customTag = obj(
  'CustomTag',
  {
    literal: obj('Literal', { value: str() }, { required: ['value'] }),
    environment: obj('Environment', { name: str(true), defaultValue: str() }, { required: ['name'] }),
    header: obj('RequestHeader', { name: str(true), defaultValue: str() }, { required: ['name'] }),
  },
  { atMostOne: [['literal', 'environment', 'header']] },
);
const metricNames = oneOfValues('ALL_METRICS', 'REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE', 'TCP_OPENED_CONNECTIONS', 'TCP_CLOSED_CONNECTIONS', 'TCP_SENT_BYTES', 'TCP_RECEIVED_BYTES', 'GRPC_REQUEST_MESSAGES', 'GRPC_RESPONSE_MESSAGES');
const telemetrySpec = obj('Telemetry', {
  selector: obj('WorkloadSelector', { matchLabels: strMap }),
  // refused by name in unsupported-security.ts
  targetRef: anything,
  targetRefs: anything,
  tracing: arr(
    obj('Tracing', {
      match: modeMatch,
      providers: providerRefs,
      randomSamplingPercentage: num(0, 100),
      disableSpanReporting: bool,
      customTags: map(customTag),
      useRequestIdForTraceSampling: bool,
    }),
  ),
  metrics: arr(
    obj('Metrics', {
      providers: providerRefs,
      overrides: arr(
        obj('MetricsOverrides', {
          match: obj('MetricSelector', { metric: metricNames, customMetric: str(true), mode: workloadMode }, { atMostOne: [['metric', 'customMetric']] }),
          disabled: bool,
          tagOverrides: map(obj('TagOverride', { operation: oneOfValues('UPSERT', 'REMOVE'), value: str() })),
        }),
      ),
      reportingInterval: duration,
    }),
  ),
  accessLogging: arr(
    obj('AccessLogging', {
      match: modeMatch,
      providers: providerRefs,
      disabled: bool,
      filter: obj('Filter', { expression: str(true) }, { required: ['expression'] }),
    }),
  ),
});

export const SPEC_SCHEMAS: Record<SpecKind, ObjectSchema> = {
  Service: serviceSpec,
  VirtualService: virtualServiceSpec,
  DestinationRule: destinationRuleSpec,
  Gateway: gatewaySpec,
  ServiceEntry: serviceEntrySpec,
  WorkloadEntry: workloadEntrySpec,
  Sidecar: sidecarSpec,
  PeerAuthentication: peerAuthenticationSpec,
  AuthorizationPolicy: authorizationPolicySpec,
  RequestAuthentication: requestAuthenticationSpec,
  Telemetry: telemetrySpec,
  Deployment: deploymentSpec,
  StatefulSet: statefulSetSpec,
  Pod: podSpec,
};

export const METADATA_SCHEMA = obj(
  'ObjectMeta',
  {
    name: str(true),
    namespace: str(true),
    labels: strMap,
    annotations: strMap,
    // Kubernetes bookkeeping: accepted so exported objects apply unchanged, otherwise ignored.
    uid: anything,
    resourceVersion: anything,
    generation: anything,
    creationTimestamp: anything,
    managedFields: anything,
    ownerReferences: anything,
    finalizers: anything,
    generateName: anything,
  },
  { required: ['name'] },
);
