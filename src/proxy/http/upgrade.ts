// HTTP: HTTP/1.1 upgrades — WebSocket tunnelled to the routed upstream (h2c is answered by the codec in HTTP/1.1).
import type { Duplex } from 'node:stream';
import type { DownstreamConnectionInfo } from './types.js';
import type { ConnectionManager } from './connection-manager.js';
import type { HeaderMap, RouteRequest } from '../router/types.js';
import type { UpgradeRequest } from './h1-codec.js';
import { headerLines } from '../upstream/pool/http-parser.js';

const HOST: ReadonlySet<string> = new Set(['host']);

function rawReply(socket: Duplex, status: string, body = ''): void {
  socket.end(`HTTP/1.1 ${status}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function serializeHead(method: string, path: string, authority: string, headers: HeaderMap): string {
  let out = `${method} ${path} HTTP/1.1\r\nhost: ${authority}\r\n`;
  out += headerLines(headers, HOST);
  return out + '\r\n';
}

export function proxyUpgrade(cm: ConnectionManager, req: UpgradeRequest, socket: Duplex, head: Buffer, info: DownstreamConnectionInfo): void {
  const type = String(req.headers.upgrade ?? '').toLowerCase();
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
    rawReply(socket, '404 Not Found');
    return;
  }
  const action = match.route.action;
  const enabled = action.kind === 'route' ? (action.route.websocketEnabled ?? cm.websocket) : false;
  if (type !== 'websocket' || !enabled) {
    stats.rqWsOnNonWsRoute.inc();
    finish(403);
    rawReply(socket, '403 Forbidden', 'upgrade not allowed');
    return;
  }
  if (action.kind !== 'route') return;
  const route = action.route;
  const choice = route.chooseCluster(rr);
  const cluster = choice === undefined ? undefined : cm.ctx.clusters.get(choice.cluster);
  const host = cluster?.chooseHost({ attempt: 0, hashKey: route.hash(rr, info.remoteAddress) }) ?? null;
  if (cluster === undefined || host === null) {
    finish(503);
    rawReply(socket, '503 Service Unavailable', 'no healthy upstream');
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
  cm.ctx.pools.pool(cluster, host, false, { authority, headers: req.headers }).connectRaw((err, upstream) => {
    if (err !== null || upstream === undefined) {
      host.activeRequests--;
      cluster.reportResult(host, { localFailure: err ?? 'connect-failure' });
      finish(503);
      rawReply(socket, '503 Service Unavailable', 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
      return;
    }
    upstream.write(serializeHead(rr.method, path, authority, headers));
    if (head.length > 0) upstream.write(head);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      host.activeRequests--;
      finish(101);
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
}
