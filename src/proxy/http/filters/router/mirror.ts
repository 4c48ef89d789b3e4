// HTTP filters: request mirroring (request_mirror_policies) — fire-and-forget shadow copies of a request.
import type { RequestMirrorPolicy } from '../../../config/types.js';
import type { HeaderMap } from '../../../router/types.js';
import type { UpstreamFailure } from '../../../upstream/types.js';
import type { UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from '../../../upstream/pool/types.js';
import type { ActiveStream } from '../../active-stream.js';
import { leaseHost, type HostLease } from '../../../upstream/host-lease.js';
import { resolveRuntimeFraction } from '../../../runtime-config/route-runtime.js';
import { firstHeader } from '../../../router/header-value.js';

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
  constructor(private readonly lease: HostLease) {}
  onHeaders(status: number): void {
    this.status = status;
  }
  onData(): void {}
  onEnd(_trailers: HeaderMap | undefined): void {
    this.lease.release({ status: this.status });
  }
  onError(kind: UpstreamFailure): void {
    this.lease.release({ localFailure: kind });
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
    // cluster_header: the request names the shadow cluster; no header (or no such cluster) means no shadow
    const name = p.cluster_header === undefined ? p.cluster : firstHeader(stream.headers, p.cluster_header);
    const cluster = name === undefined || name === '' ? undefined : stream.cm.ctx.clusters.get(name);
    if (cluster === undefined) continue;
    const lease = leaseHost(cluster, { attempt: 0 });
    if (lease === null) continue;
    const pool = stream.cm.ctx.pools.pool(cluster, lease.host, stream.ds.protocol === 'HTTP/2');
    const authority = head.authority || stream.authority;
    const shadowHead: UpstreamRequestHead = { ...head, authority: p.disable_shadow_host_suffix_append === true ? authority : shadowAuthority(authority) };
    (out ??= []).push(pool.request(shadowHead, new ShadowHandler(lease)));
  }
  return out;
}
