// Router compile stage: a `route` action compiled into CompiledRouteAction (cluster picker, rewrites, timeouts, retry, hash).
import type { RequestMirrorPolicy, RouteAction, HashPolicy, Millis } from '../config/types.js';
import type { ClusterChoice, CompiledRetryPolicy, CompiledRouteAction, RouteRequest } from './types.js';
import type { Errors } from './compile-errors.js';
import { compileClusterPicker, type ClusterPicker } from './cluster-picker.js';
import { HostRewriter, PathRewriter } from './rewrite.js';
import { compileRetryPolicy } from './retry.js';
import { CompiledHashPolicy } from './hash-policy.js';
import type { CompiledRateLimit } from './rate-limit.js';

/** What the route action inherits from its virtual host (Envoy: route's retry/hash policy, else the vhost's). */
export interface VhostDefaults {
  readonly retry?: CompiledRetryPolicy;
  readonly hashPolicy: readonly HashPolicy[];
  readonly rateLimits?: readonly CompiledRateLimit[];
}

class RouteActionImpl implements CompiledRouteAction {
  readonly autoHostRewrite: boolean;
  readonly timeout: Millis;
  readonly idleTimeout?: Millis;
  readonly retry?: CompiledRetryPolicy;
  readonly mirrors: readonly RequestMirrorPolicy[];
  readonly websocketEnabled: boolean | undefined;
  readonly connectEnabled: boolean | undefined;
  readonly connectTerminate: boolean;
  readonly grpcTimeoutHeaderMax?: Millis;
  private readonly picker: ClusterPicker;
  private readonly paths: PathRewriter;
  private readonly hosts: HostRewriter;
  private readonly hashing: CompiledHashPolicy | undefined;

  constructor(a: RouteAction, matchedLen: number, vh: VhostDefaults, random: () => number, path: string, errs: Errors) {
    this.picker = compileClusterPicker(a, random, path, errs);
    this.paths = new PathRewriter(a.prefix_rewrite, a.regex_rewrite, matchedLen, path, errs);
    this.hosts = new HostRewriter(a.host_rewrite, path, errs);
    this.autoHostRewrite = this.hosts.auto;
    this.timeout = a.timeout;
    if (a.idle_timeout !== undefined) this.idleTimeout = a.idle_timeout;
    const retry = a.retry_policy ? compileRetryPolicy(a.retry_policy, random, `${path}.retry_policy`, errs) : vh.retry;
    if (retry) this.retry = retry;
    this.mirrors = Object.freeze([...a.request_mirror_policies]);
    const ws = a.upgrade_configs.find((u) => u.upgrade_type.toLowerCase() === 'websocket');
    this.websocketEnabled = ws ? ws.enabled : undefined;
    const connect = a.upgrade_configs.find((u) => u.upgrade_type === 'connect');
    this.connectEnabled = connect ? connect.enabled : undefined;
    this.connectTerminate = connect !== undefined && connect.enabled && connect.connect_config !== undefined;
    const gmax = a.max_stream_duration?.grpc_timeout_header_max;
    if (gmax !== undefined) this.grpcTimeoutHeaderMax = gmax;
    const hp = a.hash_policy.length > 0 ? a.hash_policy : vh.hashPolicy;
    this.hashing = hp.length > 0 ? new CompiledHashPolicy(hp) : undefined;
  }

  chooseCluster(req: RouteRequest): ClusterChoice | undefined {
    return this.picker.choose(req);
  }

  rewritePath(path: string): string {
    return this.paths.identity ? path : this.paths.rewrite(path);
  }

  rewriteHost(req: RouteRequest): string | undefined {
    return this.hosts.rewrite(req);
  }

  hash(req: RouteRequest, sourceIp: string): bigint | undefined {
    return this.hashing === undefined ? undefined : this.hashing.hash(req, sourceIp);
  }
}

export function compileRouteAction(
  a: RouteAction,
  matchedLen: number,
  vh: VhostDefaults,
  random: () => number,
  path: string,
  errs: Errors,
): CompiledRouteAction {
  return new RouteActionImpl(a, matchedLen, vh, random, path, errs);
}
