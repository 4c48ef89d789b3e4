// Upstream clusters: one active health-check probe (HTTP/1.1, HTTP/2 or TCP) against one address.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { HeaderValueOption, HealthCheck } from '../config/types.js';

/** 'active' = the host answered and said no (Envoy fails these at once); 'network' = no usable answer. */
export type ProbeResult = { ok: true; degraded: boolean } | { ok: false; kind: 'active' | 'network' };

export interface ProbeTarget {
  address: string;
  port: number;
  /** Host / :authority header for HTTP checks. */
  authority: string;
}

/** Runs one probe; `done` is called exactly once unless the returned cancel function runs first. */
export function runProbe(check: HealthCheck, target: ProbeTarget, done: (r: ProbeResult) => void): () => void {
  let finished = false;
  let cleanup: () => void = () => {};
  const finish = (r: ProbeResult): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    cleanup();
    done(r);
  };
  const timer = setTimeout(() => finish({ ok: false, kind: 'network' }), Math.max(1, check.timeout));
  const c = check.checker;
  if (c.kind === 'tcp') cleanup = tcpProbe(target, c.send, c.receive, finish);
  else if (c.codec_client_type === 'HTTP2') cleanup = h2Probe(target, c, finish);
  else cleanup = h1Probe(target, c, finish);
  return () => {
    finished = true;
    clearTimeout(timer);
    cleanup();
  };
}

type HttpChecker = Extract<HealthCheck['checker'], { kind: 'http' }>;

function statusResult(c: HttpChecker, status: number, degraded: boolean): ProbeResult {
  const ranges = c.expected_statuses.length > 0 ? c.expected_statuses : [{ start: 200, end: 201 }];
  const ok = ranges.some((r) => status >= r.start && status < r.end);
  return ok ? { ok: true, degraded } : { ok: false, kind: 'active' };
}

function applyHeaders(base: Record<string, string | string[]>, add: readonly HeaderValueOption[], remove: readonly string[]): void {
  for (const name of remove) delete base[name.toLowerCase()];
  for (const o of add) {
    const k = o.header.key;
    const prev = base[k];
    const append = o.append_action === 'APPEND_IF_EXISTS_OR_ADD';
    if (prev !== undefined && o.append_action === 'ADD_IF_ABSENT') continue;
    if (prev === undefined && o.append_action === 'OVERWRITE_IF_EXISTS') continue;
    base[k] = append && prev !== undefined ? [...(Array.isArray(prev) ? prev : [prev]), o.header.value] : o.header.value;
  }
}

function h1Probe(t: ProbeTarget, c: HttpChecker, finish: (r: ProbeResult) => void): () => void {
  const headers: Record<string, string | string[]> = { host: t.authority, 'user-agent': 'Envoy/HC' };
  applyHeaders(headers, c.request_headers_to_add, c.request_headers_to_remove);
  // agent:false -> a fresh connection per check, closed afterwards (no idle sockets left behind).
  const req = http.request({ host: t.address, port: t.port, method: 'GET', path: c.path, headers, agent: false });
  req.on('response', (res) => {
    const degraded = res.headers['x-envoy-degraded'] !== undefined;
    const status = res.statusCode ?? 0;
    res.on('error', () => finish({ ok: false, kind: 'network' }));
    res.on('end', () => finish(statusResult(c, status, degraded)));
    res.resume();
  });
  req.on('error', () => finish({ ok: false, kind: 'network' }));
  req.end();
  return () => req.destroy();
}

function h2Probe(t: ProbeTarget, c: HttpChecker, finish: (r: ProbeResult) => void): () => void {
  const host = t.address.includes(':') ? `[${t.address}]` : t.address;
  const session = http2.connect(`http://${host}:${t.port}`);
  session.on('error', () => finish({ ok: false, kind: 'network' }));
  const headers: Record<string, string | string[]> = { 'user-agent': 'Envoy/HC' };
  applyHeaders(headers, c.request_headers_to_add, c.request_headers_to_remove);
  const stream = session.request({ ...headers, ':method': 'GET', ':path': c.path, ':authority': t.authority });
  stream.on('response', (h) => {
    const status = Number(h[':status'] ?? 0);
    const degraded = h['x-envoy-degraded'] !== undefined;
    stream.on('end', () => finish(statusResult(c, status, degraded)));
    stream.resume();
  });
  stream.on('error', () => finish({ ok: false, kind: 'network' }));
  stream.end();
  return () => {
    stream.destroy();
    session.destroy();
  };
}

/** Envoy's "fuzzy" receive match: every block appears, in order, not necessarily adjacent. */
function receivedAll(buf: Buffer, blocks: readonly Buffer[]): boolean {
  let from = 0;
  for (const b of blocks) {
    const at = buf.indexOf(b, from);
    if (at < 0) return false;
    from = at + b.length;
  }
  return true;
}

function tcpProbe(t: ProbeTarget, send: Buffer | undefined, receive: readonly Buffer[], finish: (r: ProbeResult) => void): () => void {
  const sock = net.connect({ host: t.address, port: t.port });
  let got = Buffer.alloc(0);
  sock.on('connect', () => {
    if (send && send.length > 0) sock.write(send);
    if (receive.length === 0) finish({ ok: true, degraded: false });
  });
  sock.on('data', (d: Buffer) => {
    got = Buffer.concat([got, d]);
    if (receivedAll(got, receive)) finish({ ok: true, degraded: false });
  });
  sock.on('error', () => finish({ ok: false, kind: 'network' }));
  sock.on('close', () => finish({ ok: false, kind: 'network' }));
  return () => sock.destroy();
}
