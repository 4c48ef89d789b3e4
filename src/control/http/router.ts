// HTTP API: a small method + path router (`/api/v1/resources/:kind/:namespace/:name`), decoded path parameters.
import type { IncomingMessage } from 'node:http';
import type { Identity } from '../auth/credential.js';
import { HttpError, type Reply } from './io.js';

export interface RequestContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Set for every write (the server authenticated it before the handler ran); undefined on open reads. */
  identity?: Identity;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  /** A POST that changes nothing (analyze): open like a read. */
  readOnly: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: { readOnly?: boolean } = {}): this {
    this.routes.push({ method, segments: pattern.split('/').filter((s) => s !== ''), handler, readOnly: opts.readOnly === true });
    return this;
  }

  /** Every route as `METHOD /pattern` (tests sweep them all, e.g. for secrets in any reply). */
  list(): { method: string; pattern: string; readOnly: boolean }[] {
    return this.routes.map((r) => ({ method: r.method, pattern: `/${r.segments.join('/')}`, readOnly: r.readOnly }));
  }

  /** The handler and parameters for a request; 404 for unknown paths, 405 when only the method is wrong. */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string>; readOnly: boolean } {
    const parts = pathname.split('/').filter((s) => s !== '');
    let pathMatched = false;
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (params === undefined) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { handler: r.handler, params, readOnly: r.readOnly };
      pathMatched = true;
    }
    if (pathMatched) throw new HttpError(405, `method ${method} not allowed on ${pathname}`);
    throw new HttpError(404, `no route for ${method} ${pathname}`);
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
    if (p.startsWith(':')) params[p.slice(1)] = part;
    else if (p !== part) return undefined;
  }
  return params;
}
