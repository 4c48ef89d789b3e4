// Serving: the ADS gRPC server (SotW + Delta) — streams, connect/disconnect events, debounced pushes, proxy status.
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from '../../xds/ads-service.js';
import { PUSH_ORDER } from '../../xds/type-urls.js';
import { decodeResource, type Json } from '../../xds/codec.js';
import { Connection, type ServingContext } from './connection.js';
import { Debouncer, type PendingPush } from './debouncer.js';
import { NOOP_METRICS, type XdsMetrics } from './metrics.js';
import { PushQueue, type PushJob } from './push-queue.js';
import { onSotwRequest, sendSotw } from './sotw.js';
import { onDeltaRequest, sendDelta } from './delta.js';
import type { ConnectedProxy, ProxyStatus, PushOptions, XdsGenerator } from './types.js';
import { claimedIdentity, type StreamAuthenticator } from './stream-auth.js';
import { BudgetedStream, SendBudget } from './send-budget.js';
import { responseSink } from './response-sink.js';

export interface AdsServerOptions {
  generator: XdsGenerator;
  /** Quiet period before a push goes out (Istio PILOT_DEBOUNCE_AFTER). Default 100 ms; 0 = next tick. */
  debounceMs?: number;
  /** Longest a push waits while changes keep coming (Istio PILOT_DEBOUNCE_MAX). Default 1000 ms. */
  debounceMaxMs?: number;
  /** Proxies pushed at once (Istio PILOT_PUSH_THROTTLE). Default 100. */
  pushConcurrency?: number;
  /** Response bytes written and not yet sent, across streams, before further responses wait (see SendBudget). Default 64 MiB. */
  sendBudgetBytes?: number;
  metrics?: XdsMetrics;
  /** control_plane.identifier in every response. Default 'trellis'. */
  identifier?: string;
  log?: (msg: string) => void;
}

const DEFAULT_SEND_BUDGET_BYTES = 64 * 1024 * 1024;
/** A response a peer has not taken after this long stops holding the budget (a stuck client must not stall the rest). */
const SEND_STALL_MS = 1000;

/** `withdrawn` (disconnects only): the proxy ended its stream cleanly — it is leaving, not lost. */
type Listener = (p: ConnectedProxy, withdrawn: boolean) => void;
type ConnectListener = (p: ConnectedProxy) => void;

export class AdsServer {
  private readonly conns = new Set<Connection>();
  private readonly byConnId = new Map<string, Connection>();
  private readonly ctx: ServingContext;
  private readonly debouncer: Debouncer;
  private readonly queue: PushQueue;
  private readonly budget: SendBudget;
  private readonly connectListeners = new Set<ConnectListener>();
  private readonly disconnectListeners = new Set<Listener>();
  private readonly servers: grpc.Server[] = [];
  private connSeq = 0;
  private connectedCount = 0;

  constructor(private readonly opts: AdsServerOptions) {
    const log = opts.log ?? (() => {});
    this.ctx = { generator: opts.generator, metrics: opts.metrics ?? NOOP_METRICS, identifier: opts.identifier ?? 'trellis', log };
    this.debouncer = new Debouncer(opts.debounceMs ?? 100, opts.debounceMaxMs ?? 1000, (b) => this.fire(b));
    this.queue = new PushQueue(opts.pushConcurrency ?? 100, (c, j) => this.runJob(c, j));
    this.budget = new SendBudget(opts.sendBudgetBytes ?? DEFAULT_SEND_BUDGET_BYTES, SEND_STALL_MS);
  }

  /**
   * Adds the AggregatedDiscoveryService to a server the caller owns (e.g. one that also serves the CA). With
   * `auth`, a stream is served only once its caller is authenticated and its node claims that same identity.
   */
  addTo(server: grpc.Server, auth?: StreamAuthenticator): void {
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => this.handle(call, 'sotw', auth),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => this.handle(call, 'delta', auth),
    });
  }

  /** Serves ADS on a gRPC server of its own (plaintext by default); resolves with the bound port (port 0 = pick one). */
  listen(port = 0, host = '127.0.0.1', credentials = grpc.ServerCredentials.createInsecure(), extra?: (server: grpc.Server) => void, auth?: StreamAuthenticator): Promise<number> {
    const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.max_send_message_length': -1 });
    this.addTo(server, auth);
    extra?.(server);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, credentials, (err, bound) => (err !== null ? reject(err) : resolve(bound)));
    });
  }

  async close(): Promise<void> {
    this.debouncer.close();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => this.shutdown(s)));
  }

  private shutdown(server: grpc.Server): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000);
      server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
      // open ADS streams never end on their own: cancel them so tryShutdown can finish
      for (const c of this.conns) c.cancel?.();
    });
  }

  /** Schedules a push (debounced and merged); endpoint-only changes pass `types: [ENDPOINT_TYPE]`. */
  push(opts: PushOptions = {}): void {
    this.debouncer.add(opts);
  }

  /** Sends debounced pushes now (tests, shutdown). */
  flush(): void {
    this.debouncer.flush();
  }

  /** Resolves when no push is queued or running (pushes still in the debounce window are not counted). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Resolves once nothing waits in the debounce window and no push is queued or running. */
  async settled(): Promise<void> {
    while (this.debouncer.busy) await new Promise((r) => setTimeout(r, 1));
    await this.queue.idle();
  }

  proxies(): ProxyStatus[] {
    const out: ProxyStatus[] = [];
    for (const c of this.conns) {
      const s = c.status();
      if (s !== undefined) out.push(s);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.connId < b.connId ? -1 : 1));
  }

  connected(): ConnectedProxy[] {
    const out: ConnectedProxy[] = [];
    for (const c of this.conns) if (c.proxy !== undefined) out.push(c.proxy);
    return out;
  }

  /**
   * What a stream holds of a type after its last response, decoded from the bytes it was sent (undefined: not
   * connected, or never answered for that type). Only the encoded resources are kept per stream: their JSON is
   * rebuilt here, when asked, so that streams lagging behind do not keep old snapshots' JSON alive.
   */
  lastSent(connId: string, typeUrl: string): { name: string; resource: Json }[] | undefined {
    return this.byConnId.get(connId)?.watches.get(typeUrl)?.lastBuilt?.map((b) => ({ name: b.name, resource: decodeResource(b.any).json }));
  }

  /** Fires when a stream sends its first request (with the node), before that request is answered. */
  onConnect(fn: ConnectListener): () => void {
    this.connectListeners.add(fn);
    return () => this.connectListeners.delete(fn);
  }

  onDisconnect(fn: Listener): () => void {
    this.disconnectListeners.add(fn);
    return () => this.disconnectListeners.delete(fn);
  }

  private handle(
    call: grpc.ServerDuplexStream<DiscoveryRequest | DeltaDiscoveryRequest, DiscoveryResponse | DeltaDiscoveryResponse>,
    mode: 'sotw' | 'delta',
    auth: StreamAuthenticator | undefined,
  ): void {
    const out = new BudgetedStream(this.budget, responseSink(call));
    const conn = new Connection(
      mode,
      call.getPeer(),
      (framed) => out.write(framed),
      () => out.drained(),
    );
    conn.cancel = () => call.end();
    this.conns.add(conn);
    const done = (): void => {
      out.close();
      this.disconnect(conn);
    };
    call.on('error', done);
    call.on('cancelled', done);
    call.on('close', done);
    const serve = (): void => {
      call.on('data', (req: DiscoveryRequest | DeltaDiscoveryRequest) => {
        if (conn.closed) return;
        if (conn.proxy === undefined && !this.connect(conn, req.node ?? {}, call)) return;
        try {
          if (mode === 'sotw') onSotwRequest(this.ctx, conn, req as DiscoveryRequest);
          else onDeltaRequest(this.ctx, conn, req as DeltaDiscoveryRequest);
        } catch (e) {
          this.ctx.log(`xds: request from ${conn.proxy?.connId ?? conn.peer} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
      call.on('end', () => {
        // a clean half-close is a proxy shutting down: its endpoint goes now, not after the grace period
        this.disconnect(conn, true);
        call.end();
      });
    };
    if (auth === undefined) return serve();
    // requests wait in the stream's buffer until the caller is known (no 'data' listener yet)
    auth.authenticate(call).then(
      (r) => {
        if (conn.closed) return;
        if (!r.ok) return this.refuse(conn, call, grpc.status.UNAUTHENTICATED, r.reason);
        conn.identity = r.identity;
        serve();
      },
      (e: unknown) => this.refuse(conn, call, grpc.status.UNAUTHENTICATED, e instanceof Error ? e.message : String(e)),
    );
  }

  /** Ends the stream with `code`; the reason goes to the log and to the caller. */
  private refuse(conn: Connection, call: grpc.ServerDuplexStream<unknown, unknown>, code: grpc.status, reason: string): void {
    this.ctx.log(`xds: refused stream from ${conn.peer}: ${grpc.status[code]}: ${reason}`);
    this.disconnect(conn);
    call.emit('error', { code, details: reason });
  }

  /** The stream's first request: false (and the stream refused) when its node claims another identity than the caller proved. */
  private connect(conn: Connection, node: XdsNode, call: grpc.ServerDuplexStream<unknown, unknown>): boolean {
    const id = node.id ?? '';
    if (conn.identity !== undefined) {
      const claimed = claimedIdentity({ id, metadata: node.metadata ?? {} });
      if (claimed.namespace !== conn.identity.namespace || claimed.serviceAccount !== conn.identity.serviceAccount) {
        this.refuse(conn, call, grpc.status.PERMISSION_DENIED, `node ${id} claims ns=${claimed.namespace} sa=${claimed.serviceAccount} but authenticated as ns=${conn.identity.namespace} sa=${conn.identity.serviceAccount}`);
        return false;
      }
    }
    const proxy: ConnectedProxy = {
      connId: `${id}~${++this.connSeq}`,
      id,
      node,
      metadata: node.metadata ?? {},
      connectedAt: new Date(),
      mode: conn.mode,
      peer: conn.peer,
      ...(conn.identity !== undefined ? { identity: conn.identity } : {}),
    };
    conn.proxy = proxy;
    this.byConnId.set(proxy.connId, conn);
    this.ctx.metrics.connected(++this.connectedCount);
    for (const fn of this.connectListeners) this.safely(() => fn(proxy));
    return true;
  }

  private disconnect(conn: Connection, withdrawn = false): void {
    if (conn.closed) return;
    conn.closed = true;
    this.conns.delete(conn);
    this.queue.remove(conn);
    const proxy = conn.proxy;
    if (proxy === undefined) return;
    this.byConnId.delete(proxy.connId);
    this.ctx.metrics.connected(--this.connectedCount);
    for (const fn of this.disconnectListeners) this.safely(() => fn(proxy, withdrawn));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.ctx.log(`xds: listener failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** A debounced batch: per proxy, the union of the types its matching requests name. */
  private fire(batch: PendingPush[]): void {
    for (const conn of this.conns) {
      const proxy = conn.proxy;
      if (proxy === undefined || conn.closed) continue;
      let matched = false;
      let all = false;
      let trigger = Infinity;
      const types = new Set<string>();
      for (const p of batch) {
        if (p.opts.proxies !== undefined && !p.opts.proxies(proxy)) continue;
        matched = true;
        trigger = Math.min(trigger, p.at);
        if (p.opts.types === undefined) all = true;
        else for (const t of p.opts.types) types.add(t);
      }
      if (matched) this.queue.enqueue(conn, all ? undefined : types, trigger);
    }
  }

  /** One proxy's push: its subscribed types in make-before-break order (CDS, EDS, LDS, RDS, SDS, then the rest). */
  private async runJob(conn: Connection, job: PushJob): Promise<void> {
    const watched = [...conn.watches.keys()];
    const ordered = [...PUSH_ORDER.filter((t) => conn.watches.has(t)), ...watched.filter((t) => !PUSH_ORDER.includes(t)).sort()];
    for (const t of ordered) {
      if (conn.closed) return;
      if (job.types !== undefined && !job.types.has(t)) continue;
      const w = conn.watches.get(t);
      if (w === undefined) continue;
      const ok = conn.mode === 'sotw' ? sendSotw(this.ctx, conn, w, job.trigger, false) : sendDelta(this.ctx, conn, w, job.trigger, false);
      if (!ok) await conn.drained();
    }
  }
}
