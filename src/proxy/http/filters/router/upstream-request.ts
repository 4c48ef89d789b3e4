// HTTP filters: one try of the router's request — a leased host, its pool stream and the per-try timer
// (Envoy's UpstreamRequest); the router owns retries and everything that spans tries.
import type { HeaderMap } from '../../../router/types.js';
import type { UpstreamFailure } from '../../../upstream/types.js';
import type { HostLease } from '../../../upstream/host-lease.js';
import type { ConnectionPool, UpstreamConnectionEnd, UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from '../../../upstream/pool/types.js';

/** What a try reports to its router; a try that was aborted reports nothing more. */
export interface UpstreamRequestOwner {
  onUpstreamHeaders(up: UpstreamRequest, status: number, headers: HeaderMap, conn?: UpstreamConnectionEnd): void;
  onUpstreamData(up: UpstreamRequest, chunk: Buffer): void;
  onUpstreamEnd(up: UpstreamRequest, trailers: HeaderMap | undefined): void;
  onUpstreamError(up: UpstreamRequest, kind: UpstreamFailure, detail: string): void;
  onPerTryTimeout(up: UpstreamRequest): void;
}

export class UpstreamRequest implements UpstreamResponseHandler {
  readonly startHr = performance.now();
  /** Over HTTP/2, where any response may end with trailers (an auto_config pool knows once it has connected). */
  get h2(): boolean {
    return this.pool.protocol === 'h2';
  }
  stream: UpstreamStream | null = null;
  /** No callback reaches the owner any more (a terminal one arrived, or the try was aborted). */
  done = false;
  private tryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly owner: UpstreamRequestOwner,
    readonly lease: HostLease,
    private readonly pool: ConnectionPool,
    perTryTimeoutMs: number | undefined,
  ) {
    if (perTryTimeoutMs !== undefined && perTryTimeoutMs > 0) this.tryTimer = setTimeout(this.onTryTimeout, perTryTimeoutMs);
  }

  /** Sends the head; the pool may fail the try synchronously (then `done` is already true on return). */
  send(head: UpstreamRequestHead): void {
    const s = this.pool.request(head, this);
    if (!this.done) this.stream = s;
  }

  onHeaders(status: number, headers: HeaderMap, conn?: UpstreamConnectionEnd): void {
    this.clearTimer();
    if (!this.done) this.owner.onUpstreamHeaders(this, status, headers, conn);
  }

  onData(chunk: Buffer): void {
    if (!this.done) this.owner.onUpstreamData(this, chunk);
  }

  onEnd(trailers: HeaderMap | undefined): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    this.stream = null;
    this.owner.onUpstreamEnd(this, trailers);
  }

  onError(kind: UpstreamFailure, detail: string): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    this.stream = null;
    this.owner.onUpstreamError(this, kind, detail);
  }

  /** Abandons the try (the connection is not reused); returns whether a stream was open. */
  abort(): boolean {
    this.done = true;
    this.clearTimer();
    const s = this.stream;
    this.stream = null;
    if (s === null) return false;
    s.abort();
    return true;
  }

  private clearTimer(): void {
    if (this.tryTimer !== undefined) {
      clearTimeout(this.tryTimer);
      this.tryTimer = undefined;
    }
  }

  private readonly onTryTimeout = (): void => {
    this.tryTimer = undefined;
    if (!this.done) this.owner.onPerTryTimeout(this);
  };
}
