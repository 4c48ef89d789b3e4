// xDS client: the transport — one ADS stream (StreamAggregatedResources or DeltaAggregatedResources) over HTTP/2, re-opened with backoff when it fails.
import type http2 from 'node:http2';
import { connectH2, startBidiCall, type BidiCall, type GrpcMethod } from './grpc-call.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { connectParams, noteRefusal, type XdsCredentials } from './xds-credentials.js';
import { ControlPlaneAddresses, type Lookup } from './control-plane-addresses.js';

export interface AdsStreamHandlers<Res> {
  /** A new stream is open: send the subscriptions (the first request carries the node). */
  onOpen(): void;
  onResponse(res: Res): void;
  /**
   * The stream ended (`wasOpen`) or could not be opened; `reason` for logs. A new attempt follows after
   * `retryInMs`.
   */
  onClose(reason: string, wasOpen: boolean, retryInMs: number): void;
}

export interface AdsStreamOptions {
  /** host:port of the control plane; several are tried in turn, one per attempt. */
  targets: readonly string[];
  backoff?: BackoffOptions;
  /** How long one connection attempt may take before it counts as failed. */
  connectTimeoutMs?: number;
  /** TLS and proof of identity; absent = plaintext h2c. */
  credentials?: XdsCredentials;
  /** Every address of a host name (the system resolver by default): a name with several A records is several replicas. */
  lookup?: Lookup;
}

/**
 * Owns the HTTP/2 session and the current call. Each attempt opens a fresh session, so only our backoff (~5 s
 * cap) stands between a restarted control plane and the next stream.
 */
export class AdsStream<Req, Res> {
  private session: http2.ClientHttp2Session | undefined;
  private call: BidiCall<Req> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly addresses: ControlPlaneAddresses;
  private attempt = 0;
  private closed = false;
  private open = false;

  constructor(
    private readonly method: GrpcMethod<Req, Res>,
    private readonly opts: AdsStreamOptions,
    private readonly handlers: AdsStreamHandlers<Res>,
  ) {
    if (opts.targets.length === 0) throw new Error('ADS needs a control plane address');
    this.addresses = new ControlPlaneAddresses(opts.targets, opts.lookup);
    this.backoff = new Backoff(opts.backoff);
  }

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    this.connect();
  }

  /** Sends on the current stream; false when there is none (the request is re-made on the next stream). */
  send(req: Req): boolean {
    if (!this.open || this.call === undefined) return false;
    this.call.write(req);
    return true;
  }

  /**
   * Stops the stream for good. `withdraw` ends it cleanly (half-close, then the session closes once the control plane
   * ends its side, 1 s at most): a clean end tells the control plane this proxy is leaving, where a lost connection
   * only starts its grace period.
   */
  close(withdraw = false): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (withdraw && this.open && this.call !== undefined && this.session !== undefined) {
      const session = this.session;
      this.open = false;
      this.call.end();
      this.call = undefined;
      this.session = undefined;
      session.close();
      setTimeout(() => session.destroy(), 1000).unref();
      return;
    }
    this.teardown();
  }

  private connect(): void {
    if (this.closed) return;
    const attempt = ++this.attempt;
    // each attempt takes the next target, and a name's next address, so a replica that is down does not hold the stream back
    this.addresses.next().then(
      ({ address, name }) => {
        if (!this.closed && this.attempt === attempt) this.connectTo(address, attempt, name);
      },
      (err: Error) => {
        if (!this.closed && this.attempt === attempt) this.failed(err.message);
      },
    );
  }

  /** One attempt at `target`; a certificate is checked against `name` when the address came from one. */
  private connectTo(target: string, attempt: number, name: string | undefined): void {
    const { tls, metadata } = connectParams(this.opts.credentials, name);
    connectH2(target, { connectTimeoutMs: this.opts.connectTimeoutMs ?? 5000, ...(tls !== undefined ? { tls } : {}) }).then(
      (session) => {
        if (this.closed || this.attempt !== attempt) return session.destroy();
        this.session = session;
        this.openStream(session, target, metadata, tls?.cert !== undefined);
      },
      (err: Error) => {
        if (this.closed || this.attempt !== attempt) return;
        this.failed(`cannot connect to ${target}: ${err.message}`);
      },
    );
  }

  private openStream(session: http2.ClientHttp2Session, target: string, metadata: Record<string, string>, presentedCert: boolean): void {
    let ended = false;
    const end = (why: string): void => {
      if (ended || this.call !== call) return;
      ended = true;
      this.failed(why);
    };
    const call: BidiCall<Req> = startBidiCall(session, this.method, {
      onMessage: (res: Res) => {
        if (this.call !== call) return;
        this.backoff.reset(); // the control plane answered: this stream is healthy
        this.handlers.onResponse(res);
      },
      onEnd: () => end(`stream to ${target} closed by the control plane`),
      onError: (reason) => {
        noteRefusal(this.opts.credentials, presentedCert, reason);
        end(`stream to ${target} failed: ${reason}`);
      },
    }, metadata);
    this.call = call;
    this.open = true;
    this.handlers.onOpen();
  }

  private failed(reason: string): void {
    const wasOpen = this.open;
    this.teardown();
    if (this.closed) return;
    const delay = this.backoff.next();
    this.handlers.onClose(reason, wasOpen, delay);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
  }

  private teardown(): void {
    this.open = false;
    this.call?.cancel();
    this.call = undefined;
    this.session?.destroy();
    this.session = undefined;
  }
}
