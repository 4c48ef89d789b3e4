// HTTP filters: request mirroring (request_mirror_policies) — fire-and-forget shadow copies of a request.
import type { RequestMirrorPolicy } from '../../config/types.js';
import type { HeaderMap } from '../../router/types.js';
import type { Host, UpstreamCluster, UpstreamFailure } from '../../upstream/types.js';
import type { UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from '../../upstream/pool/types.js';
import type { ActiveStream } from '../active-stream.js';
import { resolveRuntimeFraction } from '../../runtime-config/route-runtime.js';

/** Envoy suffixes the shadow's authority host with "-shadow", keeping any port. */
export function shadowAuthority(authority: string): string {
  const colon = authority.lastIndexOf(':');
  const bracket = authority.lastIndexOf(']');
  if (colon > bracket && colon > 0) return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
  return `${authority}-shadow`;
}

/** Discards the shadow response; only the host's bookkeeping and outlier detection see it. */
class ShadowHandler implements UpstreamResponseHandler {
  private status = 0;
  constructor(
    private readonly cluster: UpstreamCluster,
    private readonly host: Host,
  ) {}
  onHeaders(status: number): void {
    this.status = status;
  }
  onData(): void {}
  onEnd(_trailers: HeaderMap | undefined): void {
    this.host.activeRequests--;
    this.cluster.reportResult(this.host, { status: this.status });
  }
  onError(kind: UpstreamFailure): void {
    this.host.activeRequests--;
    if (kind !== 'overflow') this.cluster.reportResult(this.host, { localFailure: kind });
  }
}

/** Starts one shadow request per policy that fires; returns their streams for the body, or null. */
export function startMirror(
  policies: readonly RequestMirrorPolicy[],
  stream: ActiveStream,
  head: UpstreamRequestHead,
  random: () => number,
): UpstreamStream[] | null {
  if (policies.length === 0) return null;
  let out: UpstreamStream[] | null = null;
  for (const p of policies) {
    if (p.runtime_fraction !== undefined && random() >= resolveRuntimeFraction(stream.cm.ctx.runtime, p.runtime_fraction)) continue;
    const cluster = stream.cm.ctx.clusters.get(p.cluster);
    if (cluster === undefined) continue;
    const host = cluster.chooseHost({ attempt: 0 });
    if (host === null) continue;
    host.activeRequests++;
    const pool = stream.cm.ctx.pools.pool(cluster, host, stream.ds.protocol === 'HTTP/2');
    const shadowHead: UpstreamRequestHead = { ...head, authority: shadowAuthority(head.authority || stream.authority) };
    (out ??= []).push(pool.request(shadowHead, new ShadowHandler(cluster, host)));
  }
  return out;
}
