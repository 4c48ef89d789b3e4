// Test support: runs real HTTP filters through the real FilterManager, with a recording upstream end and downstream end.
import { FilterManager, FilterSlot } from '../../../../src/proxy/http/filter/manager.js';
import type { FilterCallbacks, HttpFilter, HttpFilterFactory, LocalReplyOptions, RequestHead, ResponseHead, WatermarkCallbacks } from '../../../../src/proxy/http/filter/api.js';
import type { HttpFilterContext } from '../../../../src/proxy/http/filter/registry.js';
import type { CompiledRoute, HeaderMap } from '../../../../src/proxy/router/types.js';
import type { HttpFilterConfig } from '../../../../src/proxy/config/types.js';
import type { ClusterManager } from '../../../../src/proxy/upstream/types.js';
import { PoolManager } from '../../../../src/proxy/upstream/pool/pool-manager.js';
import { FakeStats } from '../../upstream/fake-stats.js';
import { RuntimeSnapshot } from '../../../../src/proxy/runtime-config/snapshot.js';
import { parseEntry } from '../../../../src/proxy/runtime-config/entry.js';

/** What reached the end of the decoder chain (the "router"). */
export interface Upstream {
  headers: HeaderMap | undefined;
  headersEnded: boolean;
  body: Buffer[];
  ended: boolean;
  trailers: HeaderMap | undefined;
}

/** What reached the downstream end of the encoder chain. */
export interface Downstream {
  head: ResponseHead | undefined;
  headersEnded: boolean;
  body: Buffer[];
  ended: boolean;
  trailers: HeaderMap | undefined;
  reset: boolean;
  /** Data frames in order, as written ('' for an empty end-of-stream frame). */
  writes: string[];
}

export function filterContext(name = 'f', stats = new FakeStats()): HttpFilterContext {
  return { stats, clusters: { get: () => undefined } as unknown as ClusterManager, pools: new PoolManager(() => undefined), random: () => 0, name };
}

export class FilterHarness extends FilterManager {
  readonly request: RequestHead;
  route: CompiledRoute | null = null;
  bufferLimit = 1 << 20;
  readonly ds = { protocol: 'HTTP/1.1' as 'HTTP/1.1' | 'HTTP/2' };
  readonly up: Upstream = { headers: undefined, headersEnded: false, body: [], ended: false, trailers: undefined };
  readonly down: Downstream = { head: undefined, headersEnded: false, body: [], ended: false, trailers: undefined, reset: false, writes: [] };
  readonly replies: { status: number; body: string; opts?: LocalReplyOptions }[] = [];
  /** Request body reading paused by readDisable (counted by the manager). */
  paused = false;
  /** Upstream response paused through the watermark callbacks the sink installs. */
  upstreamPaused = false;
  /** The sink's callbacks: the test sends the response through them, as the router would. */
  sink!: FilterCallbacks;

  constructor(method = 'GET', path = '/', headers: HeaderMap = {}) {
    super();
    this.request = { method, path, authority: 'svc', scheme: 'http', headers };
  }

  /** Gives the filters a layered runtime with these keys (read as stream.cm.ctx.runtime). */
  withRuntime(values: Record<string, string>): this {
    const snapshot = new RuntimeSnapshot([{ name: 'test', values: new Map(Object.entries(values).map(([k, v]) => [k, parseEntry(v)])) }]);
    Object.assign(this, { cm: { ctx: { runtime: { snapshot: () => snapshot } } } });
    return this;
  }

  /** Installs the filters (factories, in chain order) plus a recording terminal filter. */
  install(...factories: HttpFilterFactory[]): this {
    const named = factories.map((f, i) => ({ name: `f${i}`, factory: f }));
    return this.installNamed(named);
  }

  installNamed(filters: { name: string; factory: HttpFilterFactory }[]): this {
    const slots: FilterSlot[] = [];
    filters.forEach((f, i) => {
      const s = new FilterSlot(this, i, f.name);
      s.filter = f.factory(s);
      slots.push(s);
    });
    const last = new FilterSlot(this, slots.length, 'router');
    this.sink = last;
    last.filter = this.recorder(last);
    slots.push(last);
    this.slots = slots;
    return this;
  }

  /** Per-filter route config, as typed_per_filter_config gives it. */
  withRouteConfig(name: string, config: HttpFilterConfig): this {
    this.route = { perFilterConfig: new Map([[name, config]]) } as unknown as CompiledRoute;
    return this;
  }

  private recorder(cb: FilterCallbacks): HttpFilter {
    const up = this.up;
    const wm: WatermarkCallbacks = {
      onAboveWriteBufferHighWatermark: () => void (this.upstreamPaused = true),
      onBelowWriteBufferLowWatermark: () => void (this.upstreamPaused = false),
    };
    cb.setWatermarkCallbacks(wm);
    return {
      decodeHeaders: (r, end) => {
        up.headers = r.headers;
        up.headersEnded = end;
        if (end) up.ended = true;
        return 'stop';
      },
      decodeData: (d, end) => {
        if (d.length > 0) up.body.push(Buffer.from(d));
        if (end) up.ended = true;
        return 'stop';
      },
      decodeTrailers: (t) => {
        up.trailers = t;
        up.ended = true;
        return 'stop';
      },
    };
  }

  // ---- the request, from the downstream
  sendRequest(endStream: boolean): this {
    this.decodeHeadersFrom(0, endStream);
    return this;
  }
  sendRequestData(data: string | Buffer, endStream: boolean): this {
    this.decodeDataFrom(0, typeof data === 'string' ? Buffer.from(data) : data, endStream);
    return this;
  }
  sendRequestTrailers(t: HeaderMap): this {
    this.decodeTrailersFrom(0, t);
    return this;
  }

  // ---- the response, from the "router"
  respond(status: number, headers: HeaderMap, endStream = false, wantTrailers = false): this {
    this.sink.encodeHeaders({ status, headers, wantTrailers }, endStream);
    return this;
  }
  respondData(data: string | Buffer, endStream: boolean): this {
    this.sink.encodeData(typeof data === 'string' ? Buffer.from(data) : data, endStream);
    return this;
  }
  respondTrailers(t: HeaderMap): this {
    this.sink.encodeTrailers(t);
    return this;
  }

  upstreamBody(): Buffer {
    return Buffer.concat(this.up.body);
  }
  downstreamBody(): Buffer {
    return Buffer.concat(this.down.body);
  }

  // ---- FilterManager
  rematchRoute(): void {}
  resetStream(): void {
    this.down.reset = true;
    this.encodingStopped = true;
    this.decodingStopped = true;
    this.destroyFilters();
  }
  localReplyFrom(from: number, status: number, body: string, opts?: LocalReplyOptions): void {
    this.replies.push({ status, body, opts });
    this.decodingStopped = true;
    this.encodeHeadersFrom(from, { status, headers: { 'content-length': String(body.length) } }, body === '');
    if (body !== '') this.encodeDataFrom(from, Buffer.from(body), true);
  }
  protected pauseBody(): void {
    this.paused = true;
  }
  protected resumeBody(): void {
    this.paused = false;
  }
  protected writeHeaders(r: ResponseHead, end: boolean): void {
    this.down.head = r;
    this.down.headersEnded = end;
    if (end) this.finish();
  }
  protected writeData(d: Buffer, end: boolean): void {
    this.down.writes.push(d.toString('latin1'));
    if (d.length > 0) this.down.body.push(Buffer.from(d));
    if (end) this.finish();
  }
  protected writeTrailers(t: HeaderMap): void {
    this.down.trailers = t;
    this.finish();
  }
  protected encodeOverflow(): void {
    this.down.reset = true;
  }
  private finish(): void {
    if (this.down.ended) return;
    this.down.ended = true;
    this.encodingStopped = true;
    this.decodingStopped = true;
    this.destroyFilters();
  }
}

/** Resolves once `check` holds, polling every few ms; fails after `ms`. */
export async function until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
