// Translate stage: Istio's resource naming (clusters `outbound|9080|v1|reviews.default.svc.cluster.local`, route configs, listeners).

export const OUTBOUND_LISTENER = 'outbound';
export const INBOUND_LISTENER = 'inbound';
export const OUTBOUND_ROUTE = 'outbound';

/** `outbound|<port>|<subset>|<host>`; subset '' for the whole service. */
export function outboundClusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

/** `inbound|<servicePort>||` (Istio's inbound cluster name for the local app). */
export function inboundClusterName(servicePort: number): string {
  return `inbound|${servicePort}||`;
}

export interface ClusterKey {
  direction: 'outbound' | 'inbound';
  port: number;
  subset: string;
  host: string;
}

export function parseClusterName(name: string): ClusterKey | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, p, subset, host] = parts as [string, string, string, string];
  const port = Number(p);
  if ((direction !== 'outbound' && direction !== 'inbound') || !Number.isInteger(port) || port <= 0) return undefined;
  return { direction, port, subset, host };
}

/** Gateway route config per server port (Istio: `http.8080`). */
export function gatewayRouteName(port: number): string {
  return `http.${port}`;
}

/** Gateway listener per port (Istio: `0.0.0.0_8080`). */
export function gatewayListenerName(bind: string, port: number): string {
  return `${bind}_${port}`;
}

/** A gateway HTTPS server's own route config (Istio: `https.443.<port name>.<gateway>.<ns>`; the server index keeps it unique). */
export function gatewayHttpsRouteName(port: number, serverIndex: number, gateway: string, namespace: string): string {
  return `https.${port}.${serverIndex}.${gateway}.${namespace}`;
}

/** A sidecar egress listener with a port (Istio: `127.0.0.1_9000`), also the name of its inline route config. */
export function egressListenerName(bind: string, port: number): string {
  return `${bind}_${port}`;
}
