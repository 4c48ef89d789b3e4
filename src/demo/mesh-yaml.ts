// Demo: the mesh `trellis demo` applies — bookinfo's identities, Services and Deployments (workload templates for
// `trellis run --workload`), an ingress Gateway and VirtualService on the gateway port, subsets, and mTLS STRICT.
// Pure: the ports in, the YAML out.

export interface DemoWorkload {
  /** The Deployment's name, as `trellis run --workload` takes it. */
  name: string;
  app: string;
  version: string;
  /** The app's arguments after the demo's app entry point. */
  args: string[];
}

export const DEMO_WORKLOADS: readonly DemoWorkload[] = [
  { name: 'details-v1', app: 'details', version: 'v1', args: ['details'] },
  { name: 'ratings-v1', app: 'ratings', version: 'v1', args: ['ratings'] },
  { name: 'reviews-v1', app: 'reviews', version: 'v1', args: ['reviews', 'v1'] },
  { name: 'reviews-v2', app: 'reviews', version: 'v2', args: ['reviews', 'v2'] },
  { name: 'reviews-v3', app: 'reviews', version: 'v3', args: ['reviews', 'v3'] },
  { name: 'productpage-v1', app: 'productpage', version: 'v1', args: ['productpage'] },
];

/** The gateway workload: Istio's ingress gateway identity and labels. */
export const DEMO_GATEWAY = { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway', labels: 'istio=ingressgateway,app=istio-ingressgateway' };

const SERVICE_PORT = 9080;

function service(app: string): string {
  // ratings speaks gRPC: the port name tells the mesh (HTTP/2 upstream, gRPC status in metrics)
  const port = app === 'ratings' ? `{ name: grpc, port: ${SERVICE_PORT}, appProtocol: grpc }` : `{ name: http, port: ${SERVICE_PORT} }`;
  return `apiVersion: v1
kind: ServiceAccount
metadata: { name: bookinfo-${app}, labels: { account: ${app} } }
---
apiVersion: v1
kind: Service
metadata: { name: ${app}, labels: { app: ${app}, service: ${app} } }
spec:
  selector: { app: ${app} }
  ports: [${port}]
`;
}

function deployment(w: DemoWorkload): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${w.name}, labels: { app: ${w.app}, version: ${w.version} } }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${w.app}, version: ${w.version} } }
  template:
    metadata: { labels: { app: ${w.app}, version: ${w.version} } }
    spec:
      serviceAccountName: bookinfo-${w.app}
      containers: [{ name: ${w.app}, image: trellis-demo/${w.app}, ports: [{ containerPort: ${SERVICE_PORT} }] }]
`;
}

function subsets(app: string, versions: readonly string[]): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${app} }
spec:
  host: ${app}
  subsets:
${versions.map((v) => `  - { name: ${v}, labels: { version: ${v} } }`).join('\n')}
`;
}

export function demoMeshYaml(gatewayPort: number): string {
  const apps = [...new Set(DEMO_WORKLOADS.map((w) => w.app))];
  const docs = [
    ...apps.map(service),
    ...DEMO_WORKLOADS.map(deployment),
    ...apps.map((a) => subsets(a, DEMO_WORKLOADS.filter((w) => w.app === a).map((w) => w.version))),
    `apiVersion: v1
kind: ServiceAccount
metadata: { name: ${DEMO_GATEWAY.serviceAccount}, namespace: ${DEMO_GATEWAY.namespace} }
`,
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bookinfo-gateway }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: ${gatewayPort}, name: http, protocol: HTTP }
    hosts: ["*"]
`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bookinfo }
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match: [{ uri: { exact: /productpage } }, { uri: { prefix: /api/v1/products } }]
    route: [{ destination: { host: productpage, port: { number: ${SERVICE_PORT} } } }]
`,
    `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec:
  mtls: { mode: STRICT }
`,
  ];
  return docs.join('---\n');
}
