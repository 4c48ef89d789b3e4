// HTTP filters: envoy.filters.http.fault — delay and abort injection, by percentage or request header.
import type { FaultConfig } from '../../config/types.js';
import type { ActiveStream } from '../active-stream.js';
import type { FilterStatus, HttpFilter } from '../filter.js';
import { Flag, LocalBody } from '../local-reply.js';
import { CompiledHeaderMatcher, matchAllHeaders } from '../../router/header-matcher.js';
import type { HeaderMatcher } from '../../config/types.js';
import { faultWithRuntime } from '../../runtime-config/fault-runtime.js';

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

export class FaultFilter implements HttpFilter {
  readonly name: string;
  private readonly base: CompiledFault;
  private readonly perRoute = new WeakMap<FaultConfig, CompiledFault>();

  constructor(
    name: string,
    config: FaultConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.name = name;
    this.base = { config, headers: compileHeaders(config.headers) };
  }

  private compiled(stream: ActiveStream): CompiledFault {
    const override = stream.route?.perFilterConfig.get(this.name);
    if (override === undefined || override['@type'] !== this.base.config['@type']) return this.base;
    const cfg = override as FaultConfig;
    let c = this.perRoute.get(cfg);
    if (c === undefined) {
      c = { config: cfg, headers: compileHeaders(cfg.headers) };
      this.perRoute.set(cfg, c);
    }
    return c;
  }

  decodeHeaders(stream: ActiveStream): FilterStatus {
    const { config: configured, headers } = this.compiled(stream);
    const config = faultWithRuntime(stream.cm.ctx.runtime?.snapshot(), configured, header(stream, 'x-envoy-downstream-service-cluster'));
    if (config.delay === undefined && config.abort === undefined) return 'continue';
    if (headers.length > 0 && !matchAllHeaders(headers, stream)) return 'continue';
    if (config.upstream_cluster !== undefined && stream.chooseCluster()?.cluster !== config.upstream_cluster) return 'continue';
    if (config.downstream_nodes.length > 0) {
      const node = header(stream, 'x-envoy-downstream-service-node');
      if (node === undefined || !config.downstream_nodes.includes(node)) return 'continue';
    }
    const stats = stream.cm.stats;
    const delayMs = this.delayFor(stream, config);
    const abort = this.abortFor(stream, config);
    if (delayMs === undefined && abort === undefined) return 'continue';
    if (config.max_active_faults !== undefined && stats.faultActive.value() >= config.max_active_faults) {
      stats.faultOverflow.inc();
      return 'continue';
    }
    if (delayMs !== undefined && delayMs > 0) {
      stats.faultDelays.inc();
      stats.faultActive.add(1);
      stream.addFlag(Flag.DelayInjected);
      stream.faultTimer = setTimeout(() => {
        stream.faultTimer = undefined;
        stats.faultActive.sub(1);
        if (abort !== undefined) this.abort(stream, abort);
        else stream.continueDecoding();
      }, delayMs);
      return 'stop';
    }
    if (abort !== undefined) {
      this.abort(stream, abort);
      return 'stop';
    }
    return 'continue';
  }

  onDestroy(stream: ActiveStream): void {
    if (stream.faultTimer !== undefined) {
      clearTimeout(stream.faultTimer);
      stream.faultTimer = undefined;
      stream.cm.stats.faultActive.sub(1);
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
    return ms !== undefined && this.random() < fraction ? ms : undefined;
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
    return this.random() < fraction ? result : undefined;
  }

  private abort(stream: ActiveStream, abort: { http?: number; grpc?: number }): void {
    stream.cm.stats.faultAborts.inc();
    stream.addFlag(Flag.FaultInjected);
    if (abort.grpc !== undefined && abort.http === undefined) {
      stream.sendGrpcLocalReply(abort.grpc, LocalBody.faultAbort);
    } else {
      stream.sendLocalReply(abort.http ?? 503, LocalBody.faultAbort);
    }
  }
}
