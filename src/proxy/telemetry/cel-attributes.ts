// Telemetry: Envoy's CEL attributes (request.*, response.*, connection.*, …) of one access log entry, as the maps a
// CEL filter reads. Absent values are left out, so `has(...)` says whether Envoy would know them.
import type { CelBinding } from '../../common/cel.js';
import type { AccessLogEntry } from './access-log.js';

type Headers = Record<string, string | string[] | undefined>;

function headerMap(h: Headers | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (h === undefined) return out;
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(',') : v);
  return out;
}

function put(m: CelBinding, k: string, v: string | bigint | boolean | Map<string, string> | undefined): void {
  if (v !== undefined && v !== '' && v !== '-') m.set(k, v);
}

/** `ip:port` → its port as a CEL int. */
function port(addr: string | undefined): bigint | undefined {
  const m = addr === undefined ? null : /:(\d+)$/.exec(addr);
  return m === null ? undefined : BigInt(m[1]);
}

function grpcStatus(e: AccessLogEntry): bigint | undefined {
  const raw = e.responseTrailers?.['grpc-status'] ?? e.responseHeaders['grpc-status'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  return v !== undefined && /^\d{1,3}$/.test(v) ? BigInt(v) : undefined;
}

export function celAttributes(e: AccessLogEntry): Record<string, CelBinding> {
  const tls = e.connection?.tls;
  const request: CelBinding = new Map();
  const q = e.path.indexOf('?');
  put(request, 'path', e.path);
  put(request, 'url_path', q < 0 ? e.path : e.path.slice(0, q));
  put(request, 'query', q < 0 ? undefined : e.path.slice(q + 1));
  put(request, 'host', e.authority);
  put(request, 'method', e.method);
  put(request, 'protocol', e.protocol);
  if (e.method !== '') put(request, 'scheme', tls !== undefined ? 'https' : 'http');
  request.set('headers', headerMap(e.requestHeaders));
  const h = request.get('headers') as Map<string, string>;
  put(request, 'referer', h.get('referer'));
  put(request, 'useragent', h.get('user-agent'));
  put(request, 'id', h.get('x-request-id') ?? e.requestId);
  if (e.method !== '') request.set('size', BigInt(e.bytesReceived));

  const response: CelBinding = new Map();
  if (e.responseCode > 0) response.set('code', BigInt(e.responseCode));
  put(response, 'code_details', e.responseCodeDetails);
  put(response, 'grpc_status', grpcStatus(e));
  response.set('headers', headerMap(e.responseHeaders));
  response.set('trailers', headerMap(e.responseTrailers));
  if (e.method !== '') response.set('size', BigInt(e.bytesSent));

  const source: CelBinding = new Map();
  put(source, 'address', e.downstreamRemoteAddress);
  put(source, 'port', port(e.downstreamRemoteAddress));
  const destination: CelBinding = new Map();
  put(destination, 'address', e.downstreamLocalAddress);
  put(destination, 'port', port(e.downstreamLocalAddress));

  const connection: CelBinding = new Map();
  connection.set('mtls', tls !== undefined && tls.peerUriSans.length + (tls.peerDnsSans?.length ?? 0) > 0);
  put(connection, 'requested_server_name', tls?.sni ?? e.connection?.requestedServerName);
  put(connection, 'uri_san_peer_certificate', tls?.peerUriSans[0]);
  put(connection, 'uri_san_local_certificate', tls?.localUriSans?.[0]);
  put(connection, 'dns_san_peer_certificate', tls?.peerDnsSans?.[0]);
  put(connection, 'subject_peer_certificate', tls?.peerSubject);
  put(connection, 'termination_details', e.connectionTerminationDetails);

  const upstream: CelBinding = new Map();
  put(upstream, 'address', e.upstreamHost);
  put(upstream, 'port', port(e.upstreamHost));
  put(upstream, 'local_address', e.upstreamLocalAddress);
  put(upstream, 'transport_failure_reason', e.upstreamTransportFailureReason);

  const xds: CelBinding = new Map();
  put(xds, 'cluster_name', e.upstreamCluster);
  put(xds, 'route_name', e.routeName);

  return { request, response, source, destination, connection, upstream, xds };
}
