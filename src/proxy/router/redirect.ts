// Router compile stage: a redirect action's Location computed as Envoy's RouteEntryImplBase::newUri does.
import type { RedirectAction } from '../config/types.js';
import type { RouteRequest } from './types.js';
import type { PathRewriter } from './rewrite.js';

/** Index of the ':' before a port in a host, or -1 (IPv6 literals are bracketed: [::1]:80). */
export function portStart(host: string): number {
  const c = host.lastIndexOf(':');
  if (c < 0) return -1;
  const v6End = host.lastIndexOf(']');
  return v6End < 0 || v6End < c ? c : -1;
}

export class RedirectImpl {
  readonly kind = 'redirect' as const;
  readonly status: number;
  private readonly scheme: string | undefined;
  private readonly host: string | undefined;
  private readonly port: string;
  private readonly path: string | undefined;
  private readonly pathHasQuery: boolean;
  private readonly stripQuery: boolean;

  constructor(
    r: RedirectAction,
    private readonly rewriter: PathRewriter,
  ) {
    this.status = r.response_code;
    this.scheme = r.scheme_redirect !== undefined ? r.scheme_redirect.toLowerCase() : r.https_redirect ? 'https' : undefined;
    this.host = r.host_redirect;
    this.port = r.port_redirect !== undefined && r.port_redirect !== 0 ? `:${r.port_redirect}` : '';
    this.path = r.path_redirect;
    this.pathHasQuery = r.path_redirect !== undefined && r.path_redirect.includes('?');
    this.stripQuery = r.strip_query;
  }

  /** The request host minus its port when a new port is set or the scheme change makes the old default port wrong. */
  private requestHost(req: RouteRequest, scheme: string): string {
    const h = req.authority;
    const ps = portStart(h);
    if (ps < 0) return h;
    let remove = this.port !== '';
    if (scheme !== req.scheme) {
      const p = h.slice(ps);
      remove ||= (req.scheme === 'https' && p === ':443') || (req.scheme === 'http' && p === ':80');
    }
    return remove ? h.slice(0, ps) : h;
  }

  location(req: RouteRequest): string {
    const scheme = this.scheme ?? req.scheme;
    const host = this.host ?? this.requestHost(req, scheme);
    let path: string;
    if (this.path !== undefined) {
      // A query in path_redirect replaces the request's and is never stripped.
      if (this.pathHasQuery) return `${scheme}://${host}${this.port}${this.path}`;
      const q = req.path.indexOf('?');
      path = q < 0 ? this.path : this.path + req.path.slice(q);
    } else {
      path = this.rewriter.rewrite(req.path);
    }
    if (this.stripQuery) {
      const q = path.indexOf('?');
      if (q >= 0) path = path.slice(0, q);
    }
    return `${scheme}://${host}${this.port}${path}`;
  }
}
