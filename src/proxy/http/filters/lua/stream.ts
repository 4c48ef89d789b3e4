// HTTP filters (Lua): one direction of one request driven by a coroutine (envoy_on_request or envoy_on_response) —
// what the script waits for, when the filter holds or lets the stream flow, and errors turned into a 500.
import type { HeaderMap } from '../../../router/types.js';
import { asyncHttpCall, type AsyncCall, type AsyncRequest, type AsyncResponse } from '../../../upstream/async-client.js';
import type { DataStatus, FilterCallbacks, HeadersStatus, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import { HeaderView } from './header-view.js';
import { LEVEL_ERROR, scriptLog, type LogLevel } from './log.js';
import type { LoadedScript } from './script.js';
import type { Ptr } from './vm/module.js';
import { pushObject, pushStringList } from './vm/values.js';
import { LuaScriptError, type LuaThread, type LuaVm, type RunLimits, DEFAULT_RUN_LIMITS } from './vm/vm.js';
import type { Counter } from '../../../telemetry/stats.js';
import type { HttpFilterContext } from '../../filter/registry.js';

export type Direction = 'request' | 'response';

/** What a waiting coroutine waits for. */
type Wait = 'none' | 'body' | 'chunk' | 'trailers' | 'http' | 'respond';

/** What the filter instance shares with its two streams. */
export interface StreamOwner {
  readonly cb: FilterCallbacks;
  readonly ctx: HttpFilterContext;
  readonly errors: Counter;
  readonly executions: Counter;
  readonly clearRouteCacheOnEdit: boolean;
  /** handle:metadata(): the route's metadata for this filter. */
  routeMetadata(): Readonly<Record<string, unknown>>;
  /** handle:filterContext(). */
  filterContext(): Readonly<Record<string, unknown>>;
}

/** Live streams by id: the userdata a script holds name a stream by id, so a stale one is refused, never followed. */
const live = new Map<number, LuaStream>();
let nextId = 1;

/** The part of a stream a buffer object stands for: 0 = the whole (buffered) body, n > 0 = chunk number n. */
const BODY = 0;
/** Headers objects: 0 = the headers, 1 = the trailers. */
export const HEADERS = 0;
export const TRAILERS = 1;

const EMPTY = Buffer.alloc(0);

/** Envoy's fake answer when an httpCall fails (no host, reset, timeout). */
const FAILED_CALL: AsyncResponse = { status: 503, headers: {}, body: Buffer.from('upstream failure'), trailers: undefined };

/** A call the script asked for, started once its coroutine has yielded. */
interface PendingCall {
  readonly cluster: string;
  readonly request: AsyncRequest;
  readonly timeoutMs: number;
  readonly async: boolean;
  readonly duplicates: boolean;
}

export class LuaStream {
  readonly id = nextId++;
  private thread: LuaThread | undefined;
  private wait: Wait = 'none';
  private phase: 'new' | 'running' | 'waiting' | 'done' | 'failed' = 'new';
  /** The manager has this filter stopped in this direction (headers or data held for it). */
  private holding = false;
  /** Bytes at the start of the held data that chunks have already shown the script. */
  private heldSeen = 0;
  /** Headers went to the next filter: they can no longer change, respond() is too late. */
  private headersContinued = false;
  private trailersPassed = false;
  endStream: boolean;
  private trailers: HeaderMap | undefined;
  /** body() was used (the body is buffered) / chunks shown (streamed): the two exclude each other. */
  private bodyBuffered = false;
  private chunksShown = 0;
  /** The chunk in front of the script: live (in decodeData) or the held data. */
  private chunk: { seq: number; data: Buffer; heldAt: number; changed: boolean } | undefined;
  /** The body was replaced while the stream was not held: the headers must wait to carry it. */
  private bodyReplaced = false;
  private headersTouched = false;
  private pendingCall: PendingCall | undefined;
  private call: AsyncCall | undefined;
  private reply: { status: number; headers: HeaderMap; body: Buffer | undefined } | undefined;
  private headerView: HeaderView | undefined;
  private limits: RunLimits = DEFAULT_RUN_LIMITS;
  private script: LoadedScript | undefined;
  /** Whether a local reply went out because of this stream (its 500 or its respond()). */
  replied = false;

  constructor(
    readonly owner: StreamOwner,
    readonly dir: Direction,
    private readonly head: RequestHead | ResponseHead,
    endStream: boolean,
    /** Names the filter and script in log lines. */
    readonly source: string,
  ) {
    this.endStream = endStream;
    live.set(this.id, this);
    const rt = owner.cb.stream.cm?.ctx.runtime?.snapshot();
    if (rt !== undefined) {
      this.limits = {
        instructions: rt.getInteger('trellis.lua.max_instructions_per_run', DEFAULT_RUN_LIMITS.instructions),
        wallMs: rt.getInteger('trellis.lua.max_run_ms', DEFAULT_RUN_LIMITS.wallMs),
      };
    }
  }

  get vm(): LuaVm {
    return this.script!.vm;
  }

  private get cb(): FilterCallbacks {
    return this.owner.cb;
  }

  // ---------------------------------------------------------------- the direction's buffer and continuation
  private buffered(): Buffer | undefined {
    return this.dir === 'request' ? this.cb.decodingBuffer() : this.cb.encodingBuffer();
  }
  private setBuffered(b: Buffer): void {
    if (this.dir === 'request') this.cb.setDecodingBuffer(b);
    else this.cb.setEncodingBuffer(b);
  }
  private continueStream(): void {
    if (this.dir === 'request') this.cb.continueDecoding();
    else this.cb.continueEncoding();
  }
  private inject(data: Buffer, end: boolean): void {
    if (this.dir === 'request') this.cb.injectDecodedData(data, end);
    else this.cb.injectEncodedData(data, end);
  }

  // ---------------------------------------------------------------- filter callbacks (the owner forwards them)
  /** Starts the coroutine (entry point `fn` of `script`) on the headers. */
  onHeaders(script: LoadedScript, fn: number): HeadersStatus {
    this.script = script;
    this.start(fn);
    if (this.replied) return 'stop';
    switch (this.state()) {
      case 'failed':
        return this.passHeaders();
      case 'flow':
        if (this.bodyReplaced) {
          // A body set on a request that had none (handle:body(true)): hold the headers so the body follows them.
          this.holding = true;
          this.continueStream();
          return 'stop';
        }
        return this.passHeaders();
      default:
        this.holding = true;
        return 'stop';
    }
  }

  onData(data: Buffer, end: boolean): DataStatus {
    if (end) this.endStream = true;
    const phase = this.phase;
    if (phase === 'done' || phase === 'failed') return this.replied ? 'stop' : 'continue';
    switch (this.wait) {
      case 'chunk':
        return this.showChunk(data, end);
      case 'body':
        if (!end) return this.hold(data, false);
        this.setBuffered(concat(this.buffered(), data));
        this.resumeWith((L) => this.pushBody(L));
        // Inside a callback, the manager defers the continuation until this returns.
        this.settle();
        return 'stop';
      case 'trailers':
        if (end) {
          this.resumeWith(() => 0);
          if (this.state() === 'held') return this.hold(data, false);
          return this.replied ? 'stop' : 'continue';
        }
        return 'continue';
      case 'respond':
        return 'stop';
      default:
        // Waiting for an HTTP call, or for the Lua module to load.
        return this.hold(data, false);
    }
  }

  onTrailers(trailers: HeaderMap): TrailersStatus {
    this.endStream = true;
    this.trailers = trailers;
    if (this.phase === 'done' || this.phase === 'failed') return this.replied ? 'stop' : this.passTrailers();
    if (this.wait === 'chunk') this.resumeWith(() => 0);
    else if (this.wait === 'body') this.resumeWith((L) => this.pushBody(L));
    if (this.wait === 'trailers') this.resumeWith((L) => (this.pushHeaders(L, TRAILERS), 1));
    if (this.replied) return 'stop';
    switch (this.state()) {
      case 'failed':
        return this.passTrailers();
      case 'flow':
        // 'continue' while held makes the manager pass on what it holds (headers, body) before these trailers.
        if (this.holding && !this.headersContinued) this.passHeaders();
        this.holding = false;
        return this.passTrailers();
      default:
        this.holding = true;
        return 'stop';
    }
  }

  /** The stream ended (completed, reset or replied): outstanding calls are cancelled, the coroutine let go. */
  destroy(): void {
    this.call?.cancel();
    this.call = undefined;
    this.pendingCall = undefined;
    this.end(this.phase === 'done' ? 'done' : 'failed');
  }

  // ---------------------------------------------------------------- running the coroutine
  private start(fn: number): void {
    this.owner.executions.inc();
    const vm = this.vm;
    this.thread = vm.newThread();
    const T = this.thread.T;
    vm.pushRef(T, fn);
    pushObject(vm, T, 'envoy.handle', this.id, 0);
    this.phase = 'running';
    this.run(1);
  }

  /** Pushes the values the waiting call returns onto the coroutine, then resumes it. */
  private resumeWith(push: (T: Ptr) => number): void {
    if (this.thread === undefined || this.phase !== 'waiting') return;
    this.wait = 'none';
    this.phase = 'running';
    const n = push(this.thread.T);
    this.run(n);
  }

  private run(nargs: number): void {
    const r = this.vm.resume(this.thread!.T, nargs, this, this.limits);
    if (r.kind === 'error') {
      this.fail(r.message);
      return;
    }
    if (r.kind === 'done') {
      this.wait = 'none';
      this.end('done');
      return;
    }
    this.phase = 'waiting';
    if (this.wait === 'respond') this.sendReply();
    else if (this.wait === 'http') queueMicrotask(this.startCall);
  }

  /** How the stream should move now: held for the script, flowing past it, or failed. */
  private state(): 'held' | 'flow' | 'failed' {
    if (this.phase === 'failed') return 'failed';
    if (this.phase === 'done') return 'flow';
    return this.wait === 'chunk' || this.wait === 'trailers' ? 'flow' : 'held';
  }

  /** After the coroutine ran: if the filter holds the stream and the script no longer needs it held, let it go on. */
  private settle(): void {
    if (this.state() !== 'flow' || !this.holding) return;
    this.holding = false;
    this.heldSeen = 0;
    if (!this.headersContinued) this.passHeaders();
    if (this.trailers !== undefined) this.trailersPassed = true;
    this.continueStream();
  }

  private passHeaders(): HeadersStatus {
    this.headersContinued = true;
    this.touchRoute();
    return 'continue';
  }

  private passTrailers(): TrailersStatus {
    this.trailersPassed = true;
    return 'continue';
  }

  /** Holds `data` (the manager appends it once this returns); `seen`: the script has had it as a chunk already. */
  private hold(data: Buffer, seen: boolean): DataStatus {
    if (seen) this.heldSeen = (this.buffered()?.length ?? 0) + data.length;
    this.holding = true;
    return 'stop-buffer';
  }

  /** Request headers a script changed before they went on: the route is matched again (Envoy's clear_route_cache). */
  private touchRoute(): void {
    if (this.headersTouched && this.dir === 'request' && this.owner.clearRouteCacheOnEdit) this.cb.clearRouteCache();
    this.headersTouched = false;
  }

  /** Resumes a waiting coroutine from outside the filter callbacks (the Lua module loaded, a call answered). */
  private resumeAsync(push: (T: Ptr) => number): void {
    this.resumeWith(push);
    this.settle();
  }

  /** First run, once the Lua module is there (requests that arrived while it loaded). */
  startLater(script: LoadedScript, fn: number | undefined): void {
    if (this.phase !== 'new') return;
    this.script = script;
    if (fn === undefined) this.end('done');
    else this.start(fn);
    if (!this.replied) this.settle();
  }

  /** The Lua module or the script failed to load while this stream waited: it fails as if the script had failed. */
  failLater(message: string): void {
    if (this.phase === 'new') this.fail(message);
  }

  /** The script cannot run (it failed to load): the stream fails as if the script had failed. */
  failToStart(message: string): HeadersStatus {
    if (this.phase !== 'new') return 'stop';
    this.fail(message);
    return this.replied ? 'stop' : this.passHeaders();
  }

  /** A new stream that waits for the Lua module before its first run. */
  holdForLoad(): HeadersStatus {
    this.holding = true;
    this.phase = 'new';
    return 'stop';
  }

  private readonly startCall = (): void => {
    const p = this.pendingCall;
    this.pendingCall = undefined;
    if (p === undefined || this.phase !== 'waiting' || this.wait !== 'http') return;
    const ctx = this.owner.ctx;
    this.call = asyncHttpCall(ctx.clusters, ctx.pools, p.cluster, p.request, { timeoutMs: p.timeoutMs }, (err, res) => {
      this.call = undefined;
      const answer = err !== null || res === undefined ? FAILED_CALL : res;
      this.resumeAsync((T) => this.pushAnswer(T, answer, p.duplicates));
    });
  };

  private fail(message: string): void {
    this.owner.errors.inc();
    scriptLog.log(LEVEL_ERROR, this.source, `script error: ${message}`);
    this.end('failed');
    // Fail closed: a script that breaks must not let the request through unchecked.
    if (this.dir === 'request' || !this.headersContinued) {
      this.replied = true;
      this.cb.sendLocalReply(500, '', { details: 'lua_script_error' });
    }
  }

  private end(phase: 'done' | 'failed'): void {
    if (this.phase !== 'failed') this.phase = phase;
    if (this.thread !== undefined) {
      this.script?.vm.releaseThread(this.thread);
      this.thread = undefined;
    }
    this.chunk = undefined;
    live.delete(this.id);
  }

  /** respond(): the reply goes out now; the coroutine is never resumed (Envoy ends the script there). */
  private sendReply(): void {
    const r = this.reply!;
    this.replied = true;
    this.end('done');
    const headers = r.headers;
    if (r.body !== undefined) headers['content-length'] = String(r.body.length);
    const stream = this.cb.stream;
    stream.responseDetails = 'lua_response';
    stream.applyRouteResponseHeaders?.(headers);
    const empty = r.body === undefined || r.body.length === 0 || stream.method === 'HEAD';
    this.cb.encodeHeaders({ status: r.status, headers }, empty);
    if (!empty) this.cb.encodeData(r.body!, true);
  }

  // ---------------------------------------------------------------- what the host functions ask (see prims/)
  /** The stream a host function acts on must be the one whose coroutine is running (Envoy's rule for handles). */
  static current(vm: LuaVm, id: number): LuaStream {
    const s = live.get(id);
    if (s === undefined || s.script?.vm !== vm) throw new LuaScriptError('object used outside of the request it belongs to');
    if (vm.current !== s) throw new LuaScriptError('object used outside of its coroutine');
    return s;
  }

  headersOf(which: number): HeaderView {
    if (which === TRAILERS) {
      if (this.trailers === undefined) throw new LuaScriptError('no trailers');
      return new HeaderView(this.trailers);
    }
    return (this.headerView ??= this.dir === 'request' ? HeaderView.request(this.head as RequestHead) : HeaderView.response(this.head as ResponseHead));
  }

  /** Throws unless headers (or trailers) of this stream may still change. */
  checkWritable(which: number): void {
    if (which === TRAILERS ? this.trailersPassed : this.headersContinued) {
      throw new LuaScriptError(`${which === TRAILERS ? 'trailers' : 'header map'} can no longer be modified`);
    }
    if (which === HEADERS) this.headersTouched = true;
  }

  pushHeaders(L: Ptr, which: number): void {
    pushObject(this.vm, L, 'envoy.headers', this.id, which);
  }

  /** body(always_wrap): the buffer now (1 pushed), no body (0), or -1: wait for the end of the body. */
  body(L: Ptr, alwaysWrap: boolean): number {
    if (this.chunksShown > 0) throw new LuaScriptError('cannot call body() after body streaming has started');
    this.bodyBuffered = true;
    if (!this.endStream) {
      this.wait = 'body';
      return -1;
    }
    const b = this.buffered();
    if ((b === undefined || b.length === 0) && !alwaysWrap) return 0;
    return this.pushBody(L);
  }

  private pushBody(L: Ptr): number {
    pushObject(this.vm, L, 'envoy.buffer', this.id, BODY);
    return 1;
  }

  bodyChunks(): void {
    if (this.bodyBuffered) throw new LuaScriptError('cannot call bodyChunks after body processing has begun');
  }

  /** The next chunk: held data not shown yet (1), none left (0), or -1: wait for the next one. */
  nextChunk(L: Ptr): number {
    this.chunk = undefined;
    const held = this.holding ? this.buffered() : undefined;
    if (held !== undefined && held.length > this.heldSeen) {
      const offset = this.heldSeen;
      this.heldSeen = held.length;
      return this.pushChunk(L, held.subarray(offset), offset);
    }
    if (this.endStream) return 0;
    this.wait = 'chunk';
    return -1;
  }

  /** `heldAt`: where in the held data this chunk starts (-1: a live chunk, in decodeData / encodeData). */
  private pushChunk(L: Ptr, data: Buffer, heldAt: number): number {
    const seq = ++this.chunksShown;
    this.chunk = { seq, data, heldAt, changed: false };
    pushObject(this.vm, L, 'envoy.buffer', this.id, seq);
    return 1;
  }

  /** A live chunk for the waiting iterator: the script sees it, then it goes on (changed or not). */
  private showChunk(data: Buffer, end: boolean): DataStatus {
    if (data.length === 0 && end) {
      // The codec's empty end-of-body marker is the end of the iteration, not a chunk.
      this.resumeWith(() => 0);
      if (this.phase === 'failed') return this.replied ? 'stop' : 'continue';
      return this.state() === 'held' ? this.hold(data, true) : 'continue';
    }
    let shown: LuaStream['chunk'];
    this.resumeWith((L) => {
      const n = this.pushChunk(L, data, -1);
      shown = this.chunk;
      return n;
    });
    if (this.chunk === shown) this.chunk = undefined;
    const out = shown !== undefined && shown.changed ? shown.data : data;
    if (this.phase === 'failed') return this.replied ? 'stop' : 'continue';
    if (this.state() === 'held') {
      // The script now waits for a call: data from here on is held; this chunk goes on as the script left it.
      if (out !== data) {
        this.inject(out, end);
        return 'stop';
      }
      return this.hold(data, true);
    }
    if (out !== data) {
      this.inject(out, end);
      return 'stop';
    }
    return 'continue';
  }

  trailersNow(L: Ptr): number {
    if (this.trailers !== undefined) {
      this.pushHeaders(L, TRAILERS);
      return 1;
    }
    if (this.endStream) return 0;
    this.wait = 'trailers';
    return -1;
  }

  /** The bytes behind buffer object `part`. */
  bufferOf(part: number): Buffer {
    if (part === BODY) return this.buffered() ?? EMPTY;
    const c = this.chunk;
    if (c === undefined || c.seq !== part) throw new LuaScriptError('body chunk used after the iterator moved on');
    return c.data;
  }

  setBuffer(part: number, data: Buffer): void {
    if (part === BODY) {
      if (this.phase === 'done' || this.phase === 'failed') throw new LuaScriptError('body can no longer be modified');
      this.setBuffered(data);
      if (!this.holding) this.bodyReplaced = true;
      // Envoy keeps content-length in step with a replaced body while the headers can still change.
      if (!this.headersContinued) {
        const h = this.head.headers;
        h['content-length'] = String(data.length);
        delete h['transfer-encoding'];
      }
      return;
    }
    const c = this.chunk;
    if (c === undefined || c.seq !== part) throw new LuaScriptError('body chunk used after the iterator moved on');
    if (c.heldAt >= 0) {
      const b = this.buffered() ?? EMPTY;
      this.setBuffered(concat(b.subarray(0, c.heldAt), data));
      this.heldSeen = c.heldAt + data.length;
    }
    c.data = data;
    c.changed = true;
  }

  /** httpCall(): validated by the host function; started once the coroutine has yielded (never inside Lua). */
  httpCall(p: PendingCall): number {
    if (p.async) {
      const ctx = this.owner.ctx;
      queueMicrotask(() => asyncHttpCall(ctx.clusters, ctx.pools, p.cluster, p.request, { timeoutMs: p.timeoutMs }, () => {}));
      return 0;
    }
    this.pendingCall = p;
    this.wait = 'http';
    return -1;
  }

  private pushAnswer(T: Ptr, res: AsyncResponse, duplicates: boolean): number {
    const vm = this.vm;
    const m = vm.m;
    m._lua_createtable(T, 0, 8);
    vm.pushLatin1(T, ':status');
    vm.pushLatin1(T, String(res.status));
    m._lua_rawset(T, -3);
    for (const k in res.headers) {
      const v = res.headers[k];
      if (v === undefined) continue;
      vm.pushLatin1(T, k);
      if (typeof v === 'string') vm.pushLatin1(T, v);
      else if (duplicates && v.length > 1) pushStringList(vm, T, v);
      else vm.pushLatin1(T, v[v.length - 1] ?? '');
      m._lua_rawset(T, -3);
    }
    if (res.body.length > 0) vm.pushBytes(T, res.body);
    else m._lua_pushnil(T);
    return 2;
  }

  respond(status: number, headers: HeaderMap, body: Buffer | undefined): void {
    if (this.dir === 'response') throw new LuaScriptError('respond not currently supported in the response path');
    if (this.headersContinued) throw new LuaScriptError('respond() cannot be called if headers have been continued');
    this.reply = { status, headers, body };
    this.wait = 'respond';
  }

  clearRouteCache(): void {
    if (this.dir === 'request') this.cb.clearRouteCache();
  }

  log(level: LogLevel, message: string): void {
    scriptLog.log(level, this.source, message);
  }
}

function concat(a: Buffer | undefined, b: Buffer): Buffer {
  return a === undefined || a.length === 0 ? b : b.length === 0 ? a : Buffer.concat([a, b]);
}
