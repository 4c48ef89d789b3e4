// Upstream: Envoy's AsyncClient — a filter's own bounded request to a cluster (ext_authz, JWKS fetches,
// Lua httpCall), through the same host choice, outlier feedback and pools as the router.
import type { HeaderMap } from '../router/types.js';
import type { ClusterManager, UpstreamFailure } from './types.js';
import type { PoolManager } from './pool/pool-manager.js';
import type { UpstreamResponseHandler, UpstreamStream } from './pool/types.js';
import { leaseHost, type HostLease } from './host-lease.js';

export interface AsyncRequest {
  method: string;
  path: string;
  /** Empty = the cluster name, as Envoy's async client sets :authority. */
  authority?: string;
  headers: HeaderMap;
  body?: Buffer;
  trailers?: HeaderMap;
}

export interface AsyncResponse {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  trailers: HeaderMap | undefined;
}

export type AsyncFailure = UpstreamFailure | 'no-cluster' | 'no-healthy-upstream' | 'timeout' | 'too-large' | 'cancelled';

export interface AsyncCallOptions {
  timeoutMs: number;
  /** Larger response bodies fail the call with 'too-large'. */
  maxResponseBytes?: number;
}

export interface AsyncCall {
  cancel(): void;
}

const DEFAULT_MAX_RESPONSE = 1024 * 1024;

class Call implements UpstreamResponseHandler, AsyncCall {
  private status = 0;
  private headers: HeaderMap = {};
  private chunks: Buffer[] = [];
  private bytes = 0;
  done = false;
  private timer: NodeJS.Timeout | undefined;
  stream: UpstreamStream | null = null;

  constructor(
    private readonly lease: HostLease,
    private readonly max: number,
    private readonly cb: (err: AsyncFailure | null, res?: AsyncResponse) => void,
    timeoutMs: number,
  ) {
    if (timeoutMs > 0) this.timer = setTimeout(() => this.fail('timeout', true), timeoutMs);
  }

  onHeaders(status: number, headers: HeaderMap): void {
    this.status = status;
    this.headers = headers;
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    this.bytes += chunk.length;
    if (this.bytes > this.max) this.fail('too-large', true);
    else this.chunks.push(chunk);
  }

  onEnd(trailers: HeaderMap | undefined): void {
    if (this.done) return;
    this.finish({ status: this.status });
    this.cb(null, { status: this.status, headers: this.headers, body: Buffer.concat(this.chunks), trailers });
  }

  onError(kind: UpstreamFailure): void {
    if (!this.done) this.fail(kind, false);
  }

  cancel(): void {
    if (this.done) return;
    this.finish(undefined);
    this.stream?.abort();
  }

  private fail(kind: AsyncFailure, abort: boolean): void {
    if (this.done) return;
    this.finish(kind === 'timeout' || kind === 'too-large' ? undefined : { localFailure: kind as UpstreamFailure });
    if (abort) this.stream?.abort();
    this.cb(kind);
  }

  private finish(outcome: { status: number } | { localFailure: UpstreamFailure } | undefined): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.lease.release(outcome);
  }
}

/** Sends one request to `clusterName`; `cb` gets exactly one answer (unless cancelled). */
export function asyncHttpCall(
  clusters: ClusterManager,
  pools: PoolManager,
  clusterName: string,
  req: AsyncRequest,
  opts: AsyncCallOptions,
  cb: (err: AsyncFailure | null, res?: AsyncResponse) => void,
): AsyncCall {
  const cluster = clusters.get(clusterName);
  const lease = cluster === undefined ? null : leaseHost(cluster, { attempt: 0 });
  if (cluster === undefined || lease === null) {
    const err: AsyncFailure = cluster === undefined ? 'no-cluster' : 'no-healthy-upstream';
    queueMicrotask(() => cb(err));
    return { cancel: () => {} };
  }
  const call = new Call(lease, opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE, cb, opts.timeoutMs);
  const body = req.body;
  const hasBody = body !== undefined && body.length > 0;
  const pool = pools.pool(cluster, lease.host, false);
  const headers: HeaderMap = { ...req.headers };
  // The pools write content-length from `contentLength`; a copy here went out twice on HTTP/1.1 (a 400 from strict servers).
  delete headers['content-length'];
  const stream = pool.request(
    { method: req.method, path: req.path, authority: req.authority || clusterName, scheme: 'http', headers, hasBody: hasBody || req.trailers !== undefined, contentLength: hasBody ? body.length : 0 },
    call,
  );
  if (call.done) return call; // the pool failed it synchronously
  call.stream = stream;
  if (hasBody) stream.write(body);
  stream.end(req.trailers);
  return call;
}
