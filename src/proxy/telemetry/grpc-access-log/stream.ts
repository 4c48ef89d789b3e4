// gRPC access log service: the client-streaming StreamAccessLogs call through the logger's cluster — one long-lived
// request body on a host leased from the cluster's load balancer, written with backpressure. The server is expected
// to send nothing until it closes the stream (Envoy's docs: the response is never sent); what it does send is read
// and dropped, up to a bound, so a misbehaving server costs neither memory nor a crash.
import type { HeaderMap } from '../../router/types.js';
import type { ClusterManager, UpstreamFailure } from '../../upstream/types.js';
import type { PoolManager } from '../../upstream/pool/pool-manager.js';
import type { UpstreamResponseHandler, UpstreamStream } from '../../upstream/pool/types.js';
import { leaseHost, type HostLease } from '../../upstream/host-lease.js';
import type { GrpcServiceTarget } from '../../ext-authz/grpc-client.js';
import { STREAM_ACCESS_LOGS_PATH } from './message.js';

/** Response bytes a server may send on the stream before it is reset (the response message is empty). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** One open StreamAccessLogs call as the logger drives it. */
export interface LogStream {
  /** False after a write the transport could not take at once: wait for onWritable. */
  readonly writable: boolean;
  write(frame: Buffer): void;
  /** Half-closes our side (shutdown); the server's answer or a reset closes the stream. */
  end(): void;
  abort(): void;
}

export interface LogStreamEvents {
  onWritable(): void;
  /** Exactly once: the server ended the call, or it failed. */
  onClosed(reason: string): void;
}

export type OpenLogStream = (events: LogStreamEvents) => LogStream | string;

function header(h: HeaderMap | undefined, name: string): string | undefined {
  const v = h?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** grpc-message is percent-encoded; a server's malformed one is shown as sent (never a URIError out of an event). */
function grpcMessage(m: string): string {
  try {
    return decodeURIComponent(m).slice(0, 200);
  } catch {
    return m.slice(0, 200);
  }
}

class ClusterLogStream implements LogStream, UpstreamResponseHandler {
  writable = true;
  private status = 0;
  private headers: HeaderMap | undefined;
  private responseBytes = 0;
  private closed = false;
  stream: UpstreamStream | null = null;

  constructor(
    private readonly lease: HostLease,
    private readonly events: LogStreamEvents,
  ) {}

  write(frame: Buffer): void {
    if (this.closed || this.stream === null) return;
    if (!this.stream.write(frame)) this.writable = false;
  }

  end(): void {
    if (!this.closed) this.stream?.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  abort(): void {
    this.close('aborted', undefined);
    this.stream?.abort();
  }

  readonly onDrain = (): void => {
    if (this.closed || this.writable) return;
    this.writable = true;
    this.events.onWritable();
  };

  onHeaders(status: number, headers: HeaderMap): void {
    this.status = status;
    this.headers = headers;
  }

  onData(chunk: Buffer): void {
    this.responseBytes += chunk.length;
    if (this.responseBytes > MAX_RESPONSE_BYTES && !this.closed) {
      this.close(`the server sent more than ${MAX_RESPONSE_BYTES} response bytes`, { status: this.status });
      this.stream?.abort();
    }
  }

  onEnd(trailers: HeaderMap | undefined): void {
    const grpc = header(trailers, 'grpc-status') ?? header(this.headers, 'grpc-status');
    const msg = header(trailers, 'grpc-message') ?? header(this.headers, 'grpc-message');
    const why = this.status !== 200 ? `HTTP ${this.status}` : `grpc-status ${grpc ?? '(none)'}${msg !== undefined ? ` (${grpcMessage(msg)})` : ''}`;
    this.close(`the server ended the stream: ${why}`, { status: this.status });
    // our side may still be open: a half-closed stream would hold a slot of the connection
    this.stream?.end();
  }

  onError(kind: UpstreamFailure, detail: string): void {
    this.close(`${kind}: ${detail}`, { localFailure: kind });
  }

  private close(reason: string, outcome: { status: number } | { localFailure: UpstreamFailure } | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.writable = false;
    this.lease.release(outcome);
    this.events.onClosed(reason);
  }
}

/** Opens StreamAccessLogs on a host of `svc.cluster_name`; a reason string when no stream could be started. */
export function openClusterLogStream(clusters: ClusterManager, pools: PoolManager, svc: GrpcServiceTarget, events: LogStreamEvents): LogStream | string {
  const cluster = clusters.get(svc.cluster_name);
  if (cluster === undefined) return `unknown cluster ${svc.cluster_name}`;
  const lease = leaseHost(cluster, { attempt: 0 });
  if (lease === null) return `no healthy host in cluster ${svc.cluster_name}`;
  const s = new ClusterLogStream(lease, events);
  const headers: HeaderMap = { 'content-type': 'application/grpc', te: 'trailers' };
  for (const m of svc.initial_metadata) headers[m.key] = m.value;
  let stream: UpstreamStream;
  try {
    stream = pools
      .pool(cluster, lease.host, true)
      .request({ method: 'POST', path: STREAM_ACCESS_LOGS_PATH, authority: svc.authority ?? svc.cluster_name, scheme: 'http', headers, hasBody: true, contentLength: -1 }, s);
  } catch (err) {
    lease.release(undefined);
    return `cannot start the stream: ${(err as Error).message}`;
  }
  s.stream = stream;
  stream.onDrain(s.onDrain);
  return s;
}
