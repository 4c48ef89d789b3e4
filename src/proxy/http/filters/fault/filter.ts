// HTTP filters: envoy.filters.http.fault — delay and abort injection, by percentage or request header.
import type { FaultConfig, HeaderMatcher } from '../../../config/types.js';
import type { ActiveStream } from '../../active-stream.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { Counter, Gauge } from '../../../telemetry/stats.js';
import { Flag, LocalBody } from '../../local-reply.js';
import { CompiledHeaderMatcher, matchAllHeaders } from '../../../router/header-matcher.js';
import { faultWithRuntime } from '../../../runtime-config/fault-runtime.js';

interface CompiledFault {
  config: FaultConfig;
  headers: CompiledHeaderMatcher[];
}

/** Header matchers were validated with the config, so compile errors cannot occur here. */
function compileHeaders(list: readonly HeaderMatcher[]): CompiledHeaderMatcher[] {
  return list.map((m, i) => new CompiledHeaderMatcher(m, `headers[${i}]`, []));
}

function header(stream: ActiveStream, name: string): string | undefined {
  const v = stream.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** Percentage from a request header (0–100), capped at the configured one as Envoy does. */
function headerFraction(stream: ActiveStream, name: string, configured: number): number {
  const v = header(stream, name);
  if (v === undefined) return configured;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.min(n / 100, configured) : configured;
}

/** Per filter in a chain: its compiled config and its `http.<prefix>.fault.` stats, shared by every request. */
class FaultShared {
  readonly base: CompiledFault;
  private readonly perRoute = new WeakMap<FaultConfig, CompiledFault>();
  readonly delays: Counter;
  readonly aborts: Counter;
  readonly active: Gauge;
  readonly overflow: Counter;

  constructor(
    config: FaultConfig,
    readonly random: () => number,
    ctx: HttpFilterContext,
  ) {
    this.base = { config, headers: compileHeaders(config.headers) };
    const s = ctx.stats.scope('fault');
    this.delays = s.counter('delays_injected');
    this.aborts = s.counter('aborts_injected');
    this.active = s.gauge('active_faults');
    this.overflow = s.counter('faults_overflow');
  }

  /** The route's HTTPFault override (typed_per_filter_config), compiled once per config object. */
  compiled(override: FaultConfig | undefined): CompiledFault {
    if (override === undefined || override['@type'] !== this.base.config['@type']) return this.base;
    let c = this.perRoute.get(override);
    if (c === undefined) {
      c = { config: override, headers: compileHeaders(override.headers) };
      this.perRoute.set(override, c);
    }
    return c;
  }
}

export function faultFilterFactory(config: FaultConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = new FaultShared(config, ctx.random, ctx);
  return (cb) => new FaultFilter(shared, cb);
}

class FaultFilter implements HttpFilter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly shared: FaultShared,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(): HeadersStatus {
    const stream = this.cb.stream;
    const shared = this.shared;
    const { config: configured, headers } = shared.compiled(this.cb.perRouteConfig<FaultConfig>());
    const config = faultWithRuntime(stream.cm.ctx.runtime?.snapshot(), configured, header(stream, 'x-envoy-downstream-service-cluster'));
    if (config.delay === undefined && config.abort === undefined) return 'continue';
    if (headers.length > 0 && !matchAllHeaders(headers, stream)) return 'continue';
    if (config.upstream_cluster !== undefined && stream.chooseCluster()?.cluster !== config.upstream_cluster) return 'continue';
    if (config.downstream_nodes.length > 0) {
      const node = header(stream, 'x-envoy-downstream-service-node');
      if (node === undefined || !config.downstream_nodes.includes(node)) return 'continue';
    }
    const delayMs = this.delayFor(stream, config);
    const abort = this.abortFor(stream, config);
    if (delayMs === undefined && abort === undefined) return 'continue';
    if (config.max_active_faults !== undefined && shared.active.value() >= config.max_active_faults) {
      shared.overflow.inc();
      return 'continue';
    }
    if (delayMs !== undefined && delayMs > 0) {
      shared.delays.inc();
      shared.active.add(1);
      stream.addFlag(Flag.DelayInjected);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        shared.active.sub(1);
        if (abort !== undefined) this.abort(abort);
        else this.cb.continueDecoding();
      }, delayMs);
      return 'stop';
    }
    if (abort !== undefined) {
      this.abort(abort);
      return 'stop';
    }
    return 'continue';
  }

  onDestroy(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.shared.active.sub(1);
    }
  }

  private delayFor(stream: ActiveStream, config: FaultConfig): number | undefined {
    const d = config.delay;
    if (d === undefined) return undefined;
    let ms = d.fixed_delay;
    let fraction = d.percentage;
    if (d.header_delay) {
      const v = header(stream, 'x-envoy-fault-delay-request');
      if (v === undefined) return undefined;
      ms = Number(v);
      if (!Number.isFinite(ms) || ms < 0) return undefined;
      fraction = headerFraction(stream, 'x-envoy-fault-delay-request-percentage', fraction);
    }
    return ms !== undefined && this.shared.random() < fraction ? ms : undefined;
  }

  private abortFor(stream: ActiveStream, config: FaultConfig): { http?: number; grpc?: number } | undefined {
    const a = config.abort;
    if (a === undefined) return undefined;
    let fraction = a.percentage;
    let result: { http?: number; grpc?: number };
    if (a.header_abort) {
      const h = header(stream, 'x-envoy-fault-abort-request');
      const g = header(stream, 'x-envoy-fault-abort-grpc-request');
      const status = h !== undefined ? Number(h) : NaN;
      const grpc = g !== undefined ? Number(g) : NaN;
      if (status >= 200 && status < 600) result = { http: status };
      else if (Number.isInteger(grpc) && grpc >= 0) result = { grpc };
      else return undefined;
      fraction = headerFraction(stream, 'x-envoy-fault-abort-request-percentage', fraction);
    } else {
      result = { http: a.http_status, grpc: a.grpc_status };
    }
    return this.shared.random() < fraction ? result : undefined;
  }

  private abort(abort: { http?: number; grpc?: number }): void {
    this.shared.aborts.inc();
    const grpcOnly = abort.grpc !== undefined && abort.http === undefined;
    this.cb.sendLocalReply(abort.http ?? (grpcOnly ? 200 : 503), LocalBody.faultAbort, {
      flag: Flag.FaultInjected,
      ...(grpcOnly ? { grpcStatus: abort.grpc } : {}),
    });
  }
}
