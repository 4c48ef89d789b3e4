// HTTP: HTTP/1.1 upgrades — WebSocket tunnelled to the routed upstream (h2c is answered by the codec in HTTP/1.1).
import type { Duplex } from 'node:stream';
import type { DownstreamConnectionInfo } from './types.js';
import type { ConnectionManager } from './connection-manager.js';
import type { HeaderMap, RouteRequest } from '../router/types.js';
import type { UpgradeRequest } from './h1-codec.js';
import { headerLines } from '../upstream/pool/http-parser.js';
import { UpgradeResponseReader, type UpgradeAnswer } from './upgrade-response.js';

const HOST: ReadonlySet<string> = new Set(['host']);
/** A refusal's body is buffered to be re-framed; upstreams refusing an upgrade send a line or two. */
const MAX_REFUSAL_BODY_BYTES = 64 * 1024;
const UPSTREAM_RESET = 'upstream connect error or disconnect/reset before headers. reset reason: connection termination';

function rawReply(socket: Duplex, status: string, body: string, headRequest: boolean): void {
  socket.resume(); // what the client sends next is dropped, so its close is seen
  const head = `HTTP/1.1 ${status}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  socket.end(headRequest ? head : head + body); // a response to HEAD has no body
}

function serializeHead(method: string, path: string, authority: string, headers: HeaderMap): string {
  let out = `${method} ${path} HTTP/1.1\r\nhost: ${authority}\r\n`;
  out += headerLines(headers, HOST);
  return out + '\r\n';
}

export function proxyUpgrade(cm: ConnectionManager, req: UpgradeRequest, socket: Duplex, head: Buffer, info: DownstreamConnectionInfo): void {
  // Nothing the client sent after its request head is read until the upstream has agreed to switch.
  socket.pause();
  const type = String(req.headers.upgrade ?? '').toLowerCase();
  const reply = (status: string, body = ''): void => rawReply(socket, status, body, req.method === 'HEAD');
  const stats = cm.stats;
  stats.rqTotal.inc();
  stats.rqHttp1Total.inc();
  const finish = (status: number): void => {
    stats.rqCompleted.inc();
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= 5) stats.rqXx[cls].inc();
  };
  const hostHeader = req.headers.host;
  const rr: RouteRequest = {
    authority: typeof hostHeader === 'string' ? hostHeader : '',
    path: req.url,
    method: req.method,
    headers: req.headers,
    scheme: info.tls !== undefined ? 'https' : 'http',
  };
  const match = cm.routeTable?.match(rr) ?? null;
  if (match === null) {
    stats.noRoute.inc();
    finish(404);
    reply('404 Not Found');
    return;
  }
  const action = match.route.action;
  const enabled = action.kind === 'route' ? (action.route.websocketEnabled ?? cm.websocket) : false;
  if (type !== 'websocket' || !enabled) {
    stats.rqWsOnNonWsRoute.inc();
    finish(403);
    reply('403 Forbidden', 'upgrade not allowed');
    return;
  }
  if (action.kind !== 'route') return;
  const route = action.route;
  const choice = route.chooseCluster(rr);
  const cluster = choice === undefined ? undefined : cm.ctx.clusters.get(choice.cluster);
  const host = cluster?.chooseHost({ attempt: 0, hashKey: route.hash(rr, info.remoteAddress) }) ?? null;
  if (cluster === undefined || host === null) {
    finish(503);
    reply('503 Service Unavailable', 'no healthy upstream');
    return;
  }
  const headers: HeaderMap = { ...req.headers };
  const fmt = {
    downstreamRemoteAddress: `${info.remoteAddress}:${info.remotePort}`,
    downstreamLocalAddress: `${info.localAddress}:${info.localPort}`,
    requestHeaders: req.headers,
    protocol: 'HTTP/1.1',
  };
  choice?.requestHeaders?.apply(headers, fmt);
  match.route.requestHeaders.apply(headers, fmt);
  const authority = route.rewriteHost(rr) ?? choice?.hostRewrite ?? rr.authority;
  const path = route.rewritePath(rr.path);
  host.activeRequests++;
  cm.ctx.pools.pool(cluster, host, false).connectRaw((err, upstream) => {
    if (err !== null || upstream === undefined) {
      host.activeRequests--;
      cluster.reportResult(host, { localFailure: err ?? 'connect-failure' });
      finish(503);
      reply('503 Service Unavailable', 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
      return;
    }
    upstream.write(serializeHead(rr.method, path, authority, headers));
    awaitSwitch(socket, upstream, head, rr.method === 'HEAD', (outcome) => {
      host.activeRequests--;
      if (outcome.status === 503) cluster.reportResult(host, { localFailure: 'reset' });
      else if (outcome.status > 101) cluster.reportResult(host, { status: outcome.status });
      finish(outcome.status);
    });
  });
}

/**
 * Reads the upstream's answer before anything is tunnelled, as Envoy does: only a 101 turns the connection
 * into a byte stream. Until then the client's bytes stay unread — after a refusal they would be a second
 * request reaching the upstream without routing. Any other answer is relayed (body bounded) and the
 * downstream connection closes. `done` runs once, with the status the client saw.
 */
function awaitSwitch(socket: Duplex, upstream: Duplex, head: Buffer, headRequest: boolean, done: (o: { status: number }) => void): void {
  const reader = new UpgradeResponseReader(MAX_REFUSAL_BODY_BYTES, headRequest);
  let phase: 'waiting' | 'tunnel' | 'refused' = 'waiting';
  let status = 0; // what the client was answered; 0 if it left first
  let over = false;
  const close = (): void => {
    if (over) return;
    over = true;
    reader.close();
    socket.destroy();
    upstream.destroy();
    done({ status });
  };
  const settle = (a: UpgradeAnswer): void => {
    if (a.kind === 'pending' || phase !== 'waiting') return;
    upstream.off('data', onData);
    upstream.off('end', onEnd);
    if (a.kind === 'switch') {
      phase = 'tunnel';
      status = 101;
      socket.write(a.head, 'latin1');
      if (a.rest.length > 0) socket.write(a.rest);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      return;
    }
    // Refused: answer, then close. The client's further bytes are read and dropped so its FIN is seen.
    phase = 'refused';
    reader.close();
    upstream.destroy();
    if (a.kind === 'reply') {
      socket.resume();
      status = a.status;
      socket.end(Buffer.concat([Buffer.from(a.head, 'latin1'), a.body]));
    } else {
      status = 503;
      rawReply(socket, '503 Service Unavailable', UPSTREAM_RESET, headRequest);
    }
  };
  const onData = (chunk: Buffer): void => settle(reader.feed(chunk));
  const onEnd = (): void => settle(reader.end());
  upstream.on('data', onData);
  upstream.on('end', onEnd);
  upstream.on('error', () => {
    // 'close' follows and decides.
  });
  upstream.on('close', () => {
    if (phase === 'waiting') settle(reader.end()); // reset before a full answer: the client still gets a 503
    else if (phase === 'tunnel') close();
  });
  socket.on('error', close);
  socket.on('close', close);
}
