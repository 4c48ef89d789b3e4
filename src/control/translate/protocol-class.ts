// Translate stage: Istio's Port.protocol (Gateway servers, Sidecar egress ports) → how a listener treats the bytes.

export type ProtocolClass = 'http' | 'tls' | 'tcp';

const CLASSES: Readonly<Record<string, ProtocolClass>> = {
  HTTP: 'http',
  HTTP2: 'http',
  GRPC: 'http',
  'GRPC-WEB': 'http',
  HTTPS: 'tls',
  TLS: 'tls',
  // Istio forwards these as opaque TCP unless an optional protocol filter is enabled
  TCP: 'tcp',
  MONGO: 'tcp',
  MYSQL: 'tcp',
  REDIS: 'tcp',
};

/** HTTP family → an HTTP connection manager; TLS/HTTPS → TLS (SNI); opaque TCP kinds → tcp_proxy; else undefined (refused at apply). */
export function protocolClass(protocol: string | undefined): ProtocolClass | undefined {
  return CLASSES[(protocol ?? '').toUpperCase()];
}
