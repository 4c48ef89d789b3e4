// Test fixtures: Istio's Bookinfo sample config (services, destination rules, canary/fault/retry routes, ingress gateway) as users write it.

export const SERVICES = `
apiVersion: v1
kind: Service
metadata: { name: productpage, labels: { app: productpage, service: productpage } }
spec:
  ports: [{ port: 9080, name: http }]
  selector: { app: productpage }
---
apiVersion: v1
kind: Service
metadata: { name: reviews }
spec:
  ports: [{ port: 9080, name: http }]
  selector: { app: reviews }
---
apiVersion: v1
kind: Service
metadata: { name: ratings }
spec:
  ports: [{ port: 9080, name: http }]
  selector: { app: ratings }
---
apiVersion: v1
kind: Service
metadata: { name: details }
spec:
  ports: [{ port: 9080, name: http }]
  selector: { app: details }
`;

export const DESTINATION_RULES = `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: v3
    labels:
      version: v3
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  trafficPolicy:
    loadBalancer:
      simple: LEAST_REQUEST
    connectionPool:
      tcp:
        maxConnections: 100
        connectTimeout: 30ms
      http:
        http2MaxRequests: 1000
        maxRequestsPerConnection: 10
    outlierDetection:
      consecutive5xxErrors: 7
      interval: 5m
      baseEjectionTime: 15m
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      loadBalancer:
        consistentHash:
          httpCookie:
            name: user
            ttl: 0s
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: details
spec:
  host: details.default.svc.cluster.local
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
    portLevelSettings:
    - port:
        number: 9080
      loadBalancer:
        localityLbSetting:
          enabled: true
          failover:
          - from: us-east
            to: us-west
  subsets:
  - name: v1
    labels:
      version: v1
`;

export const REVIEWS_TEST_V2 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
`;

export const REVIEWS_50_V3 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 50
    - destination:
        host: reviews
        subset: v3
      weight: 50
`;

export const RATINGS_FAULT_AND_RETRIES = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
      delay:
        percentage:
          value: 100.0
        fixedDelay: 7s
      abort:
        percentage:
          value: 10
        httpStatus: 500
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
    timeout: 10s
    retries:
      attempts: 3
      perTryTimeout: 2s
      retryOn: gateway-error,connect-failure,refused-stream
`;

export const GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts:
  - "*"
  gateways:
  - bookinfo-gateway
  http:
  - match:
    - uri:
        exact: /productpage
    - uri:
        prefix: /static
    - uri:
        exact: /login
    - uri:
        prefix: /api/v1/products
    route:
    - destination:
        host: productpage
        port:
          number: 9080
    corsPolicy:
      allowOrigins:
      - exact: https://example.com
      allowMethods: [GET, POST]
      maxAge: 24h
`;

export const EXTERNAL = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: external-svc-https
spec:
  hosts:
  - api.dropboxapi.com
  - www.googleapis.com
  location: MESH_EXTERNAL
  ports:
  - number: 443
    name: https
    protocol: TLS
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: details-vm
spec:
  serviceAccount: details-legacy
  address: 2.2.2.2
  labels:
    app: details-legacy
    instance-id: vm1
  locality: us-east/zone1
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: bookinfo
spec:
  egress:
  - hosts:
    - "./*"
    - "istio-system/*"
`;

export const ALL = [SERVICES, DESTINATION_RULES, REVIEWS_TEST_V2, RATINGS_FAULT_AND_RETRIES, GATEWAY, EXTERNAL].join('\n---\n');

/** Bookinfo's workloads as Istio's samples ship them beside the Services: accounts, Deployments, and a kind trellis skips. */
export const WORKLOADS = `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: bookinfo-reviews
  labels: { account: reviews }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v2
  labels: { app: reviews, version: v2 }
spec:
  replicas: 1
  selector:
    matchLabels: { app: reviews, version: v2 }
  template:
    metadata:
      labels: { app: reviews, version: v2 }
    spec:
      serviceAccountName: bookinfo-reviews
      containers:
      - name: reviews
        image: example.test/reviews-v2:1.0
        imagePullPolicy: IfNotPresent
        env:
        - name: LOG_DIR
          value: "/tmp/logs"
        ports:
        - containerPort: 9080
        volumeMounts:
        - { name: tmp, mountPath: /tmp }
      volumes:
      - { name: tmp, emptyDir: {} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: reviews-settings }
data: { colour: red }
---
apiVersion: v1
kind: Namespace
metadata:
  name: bookinfo
  labels: { istio-injection: enabled }
`;
