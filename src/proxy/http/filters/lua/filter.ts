// HTTP filters (Lua): envoy.filters.http.lua — picks the route's script (default, a named one, the route's own), runs
// envoy_on_request / envoy_on_response as one coroutine each per request, and waits for the Lua module the first time.
import type { Counter } from '../../../telemetry/stats.js';
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { HeaderMap } from '../../../router/types.js';
import { LEVEL_ERROR, scriptLog } from './log.js';
import { LuaScript, type LoadedScript } from './script.js';
import { LuaStream, type Direction, type StreamOwner } from './stream.js';
import { LUA_PER_ROUTE_TYPE, type LuaConfig, type LuaPerRoute } from './types.js';
import { loadLuaModule, luaModuleIfLoaded } from './vm/module.js';
import './prims/handle.js';
import './prims/objects.js';

/** Envoy's canonical name: route metadata under it is read when none is under the filter's own name. */
const CANONICAL = 'envoy.filters.http.lua';
const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

/** Scripts of a route's own (LuaPerRoute.source_code), one state each, closed when the route config is collected. */
const routeScripts = new WeakMap<LuaPerRoute, LuaScript>();
const closeWhenCollected = new FinalizationRegistry<LuaScript>((s) => s.close());
/** A filter config's states are closed once neither its chain nor any request of it is left. */
const closeAllWhenCollected = new FinalizationRegistry<LuaScript[]>((scripts) => {
  for (const s of scripts) s.close();
});

function routeScript(pr: LuaPerRoute): LuaScript | undefined {
  if (pr.source === undefined) return undefined;
  let s = routeScripts.get(pr);
  if (s === undefined) {
    s = new LuaScript(pr.source);
    routeScripts.set(pr, s);
    closeWhenCollected.register(pr, s);
  }
  return s;
}

/** Per filter in a chain: its scripts (compiled once) and stats, shared by every request. */
class LuaShared {
  readonly defaultScript: LuaScript | undefined;
  readonly named = new Map<string, LuaScript>();
  readonly errors: Counter;
  readonly executions: Counter;

  constructor(
    readonly config: LuaConfig,
    readonly ctx: HttpFilterContext,
  ) {
    const prefix = config.stat_prefix.replace(/\.$/, '');
    const scope = prefix === '' ? ctx.stats.scope('lua') : ctx.stats.scope('lua', prefix);
    this.errors = scope.counter('errors');
    this.executions = scope.counter('executions');
    if (config.default_source !== undefined) this.defaultScript = new LuaScript(config.default_source);
    for (const [name, src] of Object.entries(config.source_codes)) this.named.set(name, new LuaScript(src));
    closeAllWhenCollected.register(this, this.scripts());
    const m = luaModuleIfLoaded();
    if (m !== undefined) {
      // The module is here (a later config): compile now, so a broken script rejects the config as in Envoy.
      for (const s of this.scripts()) {
        const err = s.build(m);
        if (err !== undefined) throw new Error(`lua filter ${ctx.name}: ${err}`);
      }
    } else {
      // First Lua filter of the process: load the module in the background; errors are logged once it is there.
      loadLuaModule().then(
        (mod) => {
          for (const s of this.scripts()) {
            const err = s.build(mod);
            if (err !== undefined) scriptLog.log(LEVEL_ERROR, this.label(s), `script cannot run (requests fail with 500): ${err}`);
          }
        },
        (e: unknown) => scriptLog.log(LEVEL_ERROR, ctx.name, `cannot load the Lua runtime: ${(e as Error).message}`),
      );
    }
  }

  private scripts(): LuaScript[] {
    return this.defaultScript === undefined ? [...this.named.values()] : [this.defaultScript, ...this.named.values()];
  }

  label(s: LuaScript): string {
    return `${this.ctx.name} ${s.source.label}`;
  }

  /** The script for a request on this route: null when the route disables the filter or names nothing to run. */
  scriptFor(pr: LuaPerRoute | undefined): LuaScript | null {
    if (pr === undefined) return this.defaultScript ?? null;
    if (pr.disabled) return null;
    if (pr.name !== undefined) return this.named.get(pr.name) ?? null;
    return routeScript(pr) ?? this.defaultScript ?? null;
  }
}

export function luaFilterFactory(config: LuaConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = new LuaShared(config, ctx);
  return (cb) => new LuaFilter(shared, cb);
}

class LuaFilter implements HttpFilter, StreamOwner {
  /** undefined: not chosen yet; null: nothing runs for this request. */
  private script: LuaScript | null | undefined;
  private perRoute: LuaPerRoute | undefined;
  private req: LuaStream | undefined;
  private res: LuaStream | undefined;

  constructor(
    private readonly shared: LuaShared,
    readonly cb: FilterCallbacks,
  ) {}

  get ctx(): HttpFilterContext {
    return this.shared.ctx;
  }
  get errors(): Counter {
    return this.shared.errors;
  }
  get executions(): Counter {
    return this.shared.executions;
  }
  get clearRouteCacheOnEdit(): boolean {
    return this.shared.config.clear_route_cache;
  }

  routeMetadata(): Readonly<Record<string, unknown>> {
    const md = this.cb.route()?.metadata;
    return md?.[this.cb.filterName] ?? md?.[CANONICAL] ?? NO_METADATA;
  }

  filterContext(): Readonly<Record<string, unknown>> {
    return this.perRoute?.filter_context ?? this.shared.config.filter_context;
  }

  private pick(): LuaScript | null {
    if (this.script === undefined) {
      const pr = this.cb.perRouteConfig<LuaPerRoute>();
      this.perRoute = pr?.['@type'] === LUA_PER_ROUTE_TYPE ? pr : undefined;
      this.script = this.shared.scriptFor(this.perRoute);
    }
    return this.script;
  }

  /** Starts the direction's coroutine, or holds the stream until the Lua module has loaded. */
  private begin(dir: Direction, head: RequestHead | ResponseHead, end: boolean): { stream?: LuaStream; status: HeadersStatus } {
    const script = this.pick();
    if (script === null) return { status: 'continue' };
    const entry = (l: LoadedScript): number | undefined => (dir === 'request' ? l.onRequest : l.onResponse);
    const label = this.shared.label(script);
    const m = luaModuleIfLoaded();
    if (m !== undefined) {
      const loaded = script.get(m);
      if (loaded !== undefined && entry(loaded) === undefined) return { status: 'continue' };
      const stream = new LuaStream(this, dir, head, end, label);
      if (loaded === undefined) return { stream, status: stream.failToStart(script.error ?? 'script cannot run') };
      return { stream, status: stream.onHeaders(loaded, entry(loaded)!) };
    }
    const stream = new LuaStream(this, dir, head, end, label);
    loadLuaModule().then(
      (mod) => {
        const loaded = script.get(mod);
        if (loaded === undefined) stream.failLater(script.error ?? 'script cannot run');
        else stream.startLater(loaded, entry(loaded));
      },
      (e: unknown) => stream.failLater(`cannot load the Lua runtime: ${(e as Error).message}`),
    );
    return { stream, status: stream.holdForLoad() };
  }

  decodeHeaders(req: RequestHead, endStream: boolean): HeadersStatus {
    const r = this.begin('request', req, endStream);
    this.req = r.stream;
    return r.status;
  }

  decodeData(data: Buffer, endStream: boolean): DataStatus {
    return this.req === undefined ? 'continue' : this.req.onData(data, endStream);
  }

  decodeTrailers(trailers: HeaderMap): TrailersStatus {
    return this.req === undefined ? 'continue' : this.req.onTrailers(trailers);
  }

  encodeHeaders(res: ResponseHead, endStream: boolean): HeadersStatus {
    const r = this.begin('response', res, endStream);
    this.res = r.stream;
    return r.status;
  }

  encodeData(data: Buffer, endStream: boolean): DataStatus {
    return this.res === undefined ? 'continue' : this.res.onData(data, endStream);
  }

  encodeTrailers(trailers: HeaderMap): TrailersStatus {
    return this.res === undefined ? 'continue' : this.res.onTrailers(trailers);
  }

  onDestroy(): void {
    this.req?.destroy();
    this.res?.destroy();
  }
}
