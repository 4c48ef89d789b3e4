// HTTP: HTTP/1.1 upgrades — WebSocket tunnelled to the routed upstream once the filters let the request through
// and the upstream answered 101 (h2c is answered by the codec in HTTP/1.1).
import type { Duplex } from 'node:stream';
import type { CompiledRouteAction, HeaderMap } from '../router/types.js';
import type { UpstreamCluster } from '../upstream/types.js';
import type { ActiveStream } from './active-stream.js';
import type { FilterCallbacks } from './filter/api.js';
import type { UpgradeDownstream } from './upgrade-downstream.js';
import { leaseHost } from '../upstream/host-lease.js';
import { Flag, LocalBody } from './local-reply.js';
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

/**
 * The router's answer to an Upgrade request that passed the decoder filters: WebSocket only, on routes that
 * allow it, to a host of the routed cluster; the connection becomes a tunnel after the upstream's 101.
 */
export function tunnelUpgrade(stream: ActiveStream, ds: UpgradeDownstream, route: CompiledRouteAction, cluster: UpstreamCluster, cb: FilterCallbacks): void {
  const cm = stream.cm;
  const type = String(ds.headers.upgrade ?? '').toLowerCase();
  const enabled = route.websocketEnabled ?? cm.websocket;
  if (type !== 'websocket' || !enabled) {
    cm.stats.rqWsOnNonWsRoute.inc();
    cb.sendLocalReply(403, 'upgrade not allowed');
    return;
  }
  const lease = leaseHost(cluster, { attempt: 0, hashKey: route.hash(stream, stream.clientIp) });
  if (lease === null) {
    cb.sendLocalReply(503, LocalBody.noHealthyUpstream, { flag: Flag.NoHealthyUpstream });
    return;
  }
  const host = lease.host;
  stream.upstreamHost = host.key;
  stream.upstreamCluster = cluster.name;
  const headers: HeaderMap = { ...ds.headers };
  const fmt = stream.formatContext();
  const choice = stream.chooseCluster();
  choice?.requestHeaders?.apply(headers, fmt);
  stream.route!.requestHeaders.apply(headers, fmt);
  const authority = route.rewriteHost(stream) ?? choice?.hostRewrite ?? stream.authority;
  const path = route.rewritePath(stream.path);
  cm.ctx.pools.pool(cluster, host, false, { authority, headers: ds.headers }).connectRaw((err, upstream) => {
    if (err !== null || upstream === undefined) {
      lease.release({ localFailure: err ?? 'connect-failure' });
      cb.sendLocalReply(503, LocalBody.connectFailure, { flag: Flag.UpstreamConnectionFailure });
      return;
    }
    if (stream.finished) {
      lease.release();
      upstream.destroy();
      return;
    }
    const socket = ds.takeSocket();
    upstream.write(serializeHead(stream.method, path, authority, headers));
    awaitSwitch(socket, upstream, ds.head, stream.method === 'HEAD', (outcome) => {
      if (outcome.status === 503) lease.release({ localFailure: 'reset' });
      else if (outcome.status > 101) lease.release({ status: outcome.status });
      else lease.release();
      stream.responseCode = outcome.status;
      stream.complete();
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
