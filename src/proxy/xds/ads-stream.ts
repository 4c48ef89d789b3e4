// xDS client: the transport — one ADS stream (StreamAggregatedResources or DeltaAggregatedResources) over @grpc/grpc-js, re-opened with backoff when it fails.
import * as grpc from '@grpc/grpc-js';
import { Backoff, type BackoffOptions } from './backoff.js';

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
}

/**
 * Owns the gRPC client and the current call. Each attempt builds a fresh client, so grpc-js' own channel
 * backoff (up to 120 s) never stands between a restarted control plane and our ~5 s cap.
 */
export class AdsStream<Req, Res> {
  private client: grpc.Client | undefined;
  private call: grpc.ClientDuplexStream<Req, Res> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private attempt = 0;
  private closed = false;
  private open = false;

  constructor(
    private readonly method: grpc.MethodDefinition<Req, Res>,
    private readonly opts: AdsStreamOptions,
    private readonly handlers: AdsStreamHandlers<Res>,
  ) {
    if (opts.targets.length === 0) throw new Error('ADS needs a control plane address');
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

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.teardown();
  }

  private connect(): void {
    if (this.closed) return;
    const targets = this.opts.targets;
    const target = targets[this.attempt++ % targets.length]!;
    const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': -1,
    });
    this.client = client;
    client.waitForReady(Date.now() + (this.opts.connectTimeoutMs ?? 5000), (err) => {
      if (this.client !== client || this.closed) return;
      if (err !== undefined && err !== null) return this.failed(`cannot connect to ${target}: ${err.message}`);
      this.openStream(client, target);
    });
  }

  private openStream(client: grpc.Client, target: string): void {
    const m = this.method;
    const call = client.makeBidiStreamRequest<Req, Res>(m.path, m.requestSerialize, m.responseDeserialize);
    this.call = call;
    this.open = true;
    let ended = false;
    const end = (why: string): void => {
      if (ended || this.call !== call) return;
      ended = true;
      this.failed(why);
    };
    call.on('data', (res: Res) => {
      if (this.call !== call) return;
      this.backoff.reset(); // the control plane answered: this stream is healthy
      this.handlers.onResponse(res);
    });
    call.on('error', (e: grpc.ServiceError) => end(`stream to ${target} failed: ${e.details || e.message}`));
    call.on('end', () => end(`stream to ${target} closed by the control plane`));
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
    const call = this.call;
    this.call = undefined;
    if (call !== undefined) {
      call.removeAllListeners('data');
      call.on('error', () => {}); // the cancel below surfaces as an error we no longer care about
      call.cancel();
    }
    this.client?.close();
    this.client = undefined;
  }
}
