// Dashboard: the static files of the web UI on the HTTP API port — a fixed table of URL → file built at start-up (no path ever reaches the file system), CSP, ETag, gzip.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

/** Scripts, styles, data and connections from this origin only; no inline script or style, no framing, no plugins. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface StaticFile {
  file: string;
  type: string;
  /** Read on first request and kept: the whole UI is ~700 KB. */
  body?: Buffer;
  gzip?: Buffer;
  etag?: string;
}

/** The UI's own files (copied beside this module by `npm run build`). */
export function defaultAssetsDir(): string {
  return fileURLToPath(new URL('./assets/', import.meta.url));
}

/** The browser builds of the graph and chart libraries, straight from node_modules (the UI must work offline). */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const cytoscapeDist = path.dirname(require.resolve('cytoscape'));
  const uplotDist = path.dirname(require.resolve('uplot'));
  return {
    '/vendor/cytoscape.mjs': path.join(cytoscapeDist, 'cytoscape.esm.min.mjs'),
    '/vendor/uplot.mjs': path.join(uplotDist, 'uPlot.esm.js'),
    '/vendor/uplot.css': path.join(uplotDist, 'uPlot.min.css'),
  };
}

function typeOf(file: string): string | undefined {
  return CONTENT_TYPES[path.extname(file).toLowerCase()];
}

/**
 * Every URL the dashboard answers, decided once: `/` (index.html), `/assets/<name>` for each file directly in
 * `assetsDir` with a known type, and `/vendor/*`. A request path is only ever looked up in this table.
 */
export class DashboardFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(assetsDir = defaultAssetsDir(), vendor: Record<string, string> = vendorFiles()) {
    const names = fs.existsSync(assetsDir) ? fs.readdirSync(assetsDir, { withFileTypes: true }) : [];
    for (const d of names) {
      const type = typeOf(d.name);
      if (!d.isFile() || type === undefined) continue;
      const file = path.join(assetsDir, d.name);
      if (d.name === 'index.html') this.files.set('/', { file, type });
      else this.files.set(`/assets/${d.name}`, { file, type });
    }
    for (const [url, file] of Object.entries(vendor)) {
      const type = typeOf(file);
      if (type !== undefined && fs.existsSync(file)) this.files.set(url, { file, type });
    }
  }

  /** The URL paths served (tests; the index is `/`). */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  /** Whether `pathname` is a dashboard URL (so the API router never sees it). */
  has(pathname: string): boolean {
    return this.files.has(pathname);
  }

  /** Answers GET/HEAD of a dashboard URL; false when `pathname` is not one (the caller routes it on). */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const entry = this.files.get(pathname);
    if (entry === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const loaded = load(entry);
    const headers: Record<string, string> = {
      'content-type': entry.type,
      'content-security-policy': DASHBOARD_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      // revalidate every time (the ETag makes that a 304): an upgraded control plane serves its new UI at once
      'cache-control': 'no-cache',
      etag: loaded.etag,
      vary: 'Accept-Encoding',
    };
    if (etagMatches(req.headers['if-none-match'], loaded.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? loaded.gzip : loaded.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}

function load(entry: StaticFile): { body: Buffer; gzip: Buffer; etag: string } {
  if (entry.body === undefined || entry.gzip === undefined || entry.etag === undefined) {
    entry.body = fs.readFileSync(entry.file);
    entry.gzip = zlib.gzipSync(entry.body);
    entry.etag = `"${crypto.createHash('sha256').update(entry.body).digest('base64url').slice(0, 27)}"`;
  }
  return { body: entry.body, gzip: entry.gzip, etag: entry.etag };
}

/** If-None-Match: `*` or a list of (possibly weak) entity tags. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
