// Demo app `productpage`: the page users load (GET /productpage, HTML; GET /api/v1/products/ID, JSON). It asks
// `details` and `reviews` through the sidecar, forwarding Istio's headers (end-user from the header or the
// `user` cookie, so routing by user works) and names the reviews version that answered.
import http from 'node:http';
import { forwardedHeaders, getThroughMesh, type CallResult } from './outbound.js';

const CALL_TIMEOUT_MS = 3000;

interface Review {
  reviewer: string;
  text: string;
  rating?: { stars?: number; color?: string; error?: string };
}
interface Product {
  details: Record<string, unknown> | { error: string };
  reviews: { podname: string; reviews: Review[] } | { error: string };
  user: string | undefined;
}

function userOf(req: http.IncomingMessage): string | undefined {
  const h = req.headers['end-user'];
  if (typeof h === 'string' && h !== '') return h;
  const m = /(?:^|;\s*)user=([A-Za-z0-9_.-]{1,64})/.exec(req.headers.cookie ?? '');
  return m?.[1];
}

async function call(url: string, headers: Record<string, string>): Promise<{ ok: true; json: unknown } | { ok: false; error: string }> {
  let r: CallResult;
  try {
    r = await getThroughMesh(url, headers, CALL_TIMEOUT_MS);
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  if (r.status !== 200) return { ok: false, error: `HTTP ${r.status}${r.body !== '' ? `: ${r.body.slice(0, 120).trim()}` : ''}` };
  try {
    return { ok: true, json: JSON.parse(r.body) as unknown };
  } catch {
    return { ok: false, error: 'not JSON' };
  }
}

async function product(id: number, req: http.IncomingMessage): Promise<Product> {
  const user = userOf(req);
  const headers = forwardedHeaders(req.headers);
  if (user !== undefined) headers['end-user'] = user;
  const [d, r] = await Promise.all([call(`http://details:9080/details/${id}`, headers), call(`http://reviews:9080/reviews/${id}`, headers)]);
  return {
    details: d.ok ? (d.json as Record<string, unknown>) : { error: `details unavailable (${d.error})` },
    reviews: r.ok ? (r.json as { podname: string; reviews: Review[] }) : { error: `reviews unavailable (${r.error})` },
    user,
  };
}

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function stars(r: Review['rating']): string {
  if (r === undefined) return '';
  if (r.error !== undefined) return ` <em>${esc(r.error)}</em>`;
  const n = Math.max(0, Math.min(5, r.stars ?? 0));
  return ` <span style="color:${r.color === 'red' ? 'red' : 'black'}">${'★'.repeat(n)}${'☆'.repeat(5 - n)}</span>`;
}

function page(p: Product): string {
  const details = 'error' in p.details ? `<p class="error">${esc(p.details.error)}</p>` : `<dl>${Object.entries(p.details).filter(([k]) => k !== 'id').map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
  const reviews =
    'error' in p.reviews
      ? `<p class="error">${esc(p.reviews.error)}</p>`
      : `${p.reviews.reviews.map((r) => `<blockquote>${esc(r.text)}<br>— ${esc(r.reviewer)}${stars(r.rating)}</blockquote>`).join('')}<p>Reviews served by: <b>${esc(p.reviews.podname)}</b></p>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Bookinfo on Trellis</title></head><body>
<h1>Moby-Dick</h1><p>${p.user !== undefined ? `signed in as <b>${esc(p.user)}</b>` : 'not signed in'}</p>
<h2>Book details</h2>${details}
<h2>Book reviews</h2>${reviews}
</body></html>
`;
}

export function productpageServer(): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://productpage');
    if (url.pathname === '/health') return void res.end('ok\n');
    const api = /^\/api\/v1\/products\/(\d+)$/.exec(url.pathname);
    if (url.pathname !== '/productpage' && api === null) {
      res.statusCode = 404;
      return void res.end('not found\n');
    }
    void product(api !== null ? Number(api[1]) : 0, req).then((p) => {
      if (api !== null) {
        res.setHeader('content-type', 'application/json');
        return void res.end(JSON.stringify(p));
      }
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page(p));
    });
  });
}
