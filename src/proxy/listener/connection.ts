// Listener: one accepted connection — listener filters, filter chain selection, TLS, hand-off to the network filter.
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { DownstreamConnectionInfo } from '../http/types.js';
import { parseClientHello } from './client-hello.js';
import { detectHttp } from './http-detect.js';
import { ipBytes } from './cidr.js';
import { selectFilterChain, type ConnectionProps } from './filter-chain-match.js';
import { peekSocket } from './peek.js';
import type { CompiledFilterChain, CompiledListener } from './compile.js';
import type { ListenerStats } from './listener-stats.js';
import type { TlsResult } from './tls-terminator.js';

/** What the listener filters found. */
interface Inspection {
  transportProtocol: 'tls' | 'raw_buffer';
  sni?: string;
  alpn: string[];
  /** http_inspector's verdict; undefined when it did not run or could not tell. */
  http?: 'h2c' | 'http/1.1' | 'http/1.0';
  tooLarge: boolean;
}

const H2_PREFACE_LEN = 24;
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Runs the whole accept path for `raw`, using the listener config current at accept time. */
export function serveConnection(raw: net.Socket, listener: CompiledListener, stats: ListenerStats): void {
  const needsInspect = listener.tlsInspector || listener.httpInspector;
  const insp: Inspection = { transportProtocol: 'raw_buffer', alpn: [], tooLarge: false };
  if (!needsInspect) {
    dispatch(raw, listener, stats, insp);
    return;
  }
  stats.preCxActive.add(1);
  let tlsDone = !listener.tlsInspector;
  let httpDone = !listener.httpInspector;
  const decide = (buf: Buffer): boolean => {
    if (!tlsDone) {
      const r = parseClientHello(buf);
      if (r.kind === 'need-more') return false;
      tlsDone = true;
      if (r.kind === 'too-large') insp.tooLarge = true;
      else if (r.kind === 'tls') {
        insp.transportProtocol = 'tls';
        insp.sni = r.sni;
        insp.alpn = r.alpn;
      }
    }
    // http_inspector only looks at plaintext, as in Envoy.
    if (!httpDone && insp.transportProtocol !== 'tls' && !insp.tooLarge) {
      const r = detectHttp(buf);
      if (r === 'need-more') return false;
      httpDone = true;
      if (r !== 'not-http') insp.http = r;
    }
    return true;
  };
  peekSocket(raw, decide, listener.config.listener_filters_timeout, (outcome) => {
    stats.preCxActive.sub(1);
    if (outcome === 'closed' || insp.tooLarge) {
      raw.destroy();
      return;
    }
    if (outcome === 'timeout') {
      stats.preCxTimeout.inc();
      if (!listener.config.continue_on_listener_filters_timeout) {
        raw.destroy();
        return;
      }
    }
    // Envoy's http_inspector reports 'h2c', 'http/1.1' or 'http/1.0' as the application protocol.
    if (insp.http) insp.alpn = [insp.http];
    dispatch(raw, listener, stats, insp);
  });
}

function dispatch(raw: net.Socket, listener: CompiledListener, stats: ListenerStats, insp: Inspection): void {
  const props: ConnectionProps = {
    destinationPort: raw.localPort ?? 0,
    destinationIp: ipBytes(raw.localAddress ?? ''),
    serverName: insp.sni,
    transportProtocol: insp.transportProtocol,
    applicationProtocols: insp.alpn,
    directSourceIp: ipBytes(raw.remoteAddress ?? ''),
    sourceIp: ipBytes(raw.remoteAddress ?? ''),
    sourcePort: raw.remotePort ?? 0,
  };
  const chain = selectFilterChain(listener.chains, props) ?? listener.defaultChain;
  if (!chain) {
    stats.noFilterChainMatch.inc();
    raw.destroy();
    return;
  }
  if (chain.terminal.kind === 'none') {
    raw.destroy();
    return;
  }
  chain.connections.add(raw);
  raw.once('close', () => chain.connections.delete(raw));
  const base = {
    remoteAddress: raw.remoteAddress ?? '',
    remotePort: raw.remotePort ?? 0,
    localAddress: raw.localAddress ?? '',
    localPort: raw.localPort ?? 0,
    listenerName: listener.config.name,
    filterChainName: chain.config.name,
  };
  if (!chain.tls) {
    const info: DownstreamConnectionInfo = insp.sni === undefined ? { ...base } : { ...base, requestedServerName: insp.sni };
    handOff(raw, chain, info, insp.http, listener.config.listener_filters_timeout);
    return;
  }
  chain.tls.terminate(raw, stats, (r: TlsResult) => {
    const info: DownstreamConnectionInfo = {
      ...base,
      tls: {
        sni: r.sni ?? insp.sni,
        alpn: r.alpn,
        peerUriSans: r.peerUriSans,
        peerDnsSans: r.peerDnsSans,
        peerSubject: r.peerSubject,
        ...(r.peerCertificate !== undefined ? { peerCertificate: r.peerCertificate } : {}),
        localUriSans: r.localUriSans,
      },
    };
    handOff(r.socket, chain, info, undefined, listener.config.listener_filters_timeout);
  });
}

/** Gives the (possibly decrypted) socket to the chain's terminal filter, deciding h2 vs HTTP/1.1 for the HCM. */
function handOff(
  socket: Duplex,
  chain: CompiledFilterChain,
  info: DownstreamConnectionInfo,
  inspected: Inspection['http'],
  detectTimeoutMs: number,
): void {
  const network = chain.network;
  if (network === null) handOffTerminal(socket, chain, info, inspected, detectTimeoutMs);
  else network.accept(socket, info, (s) => handOffTerminal(s, chain, info, inspected, detectTimeoutMs));
}

function handOffTerminal(
  socket: Duplex,
  chain: CompiledFilterChain,
  info: DownstreamConnectionInfo,
  inspected: Inspection['http'],
  detectTimeoutMs: number,
): void {
  const t = chain.terminal;
  if (t.kind === 'tcp') {
    t.proxy.handleConnection(socket, info);
    return;
  }
  if (t.kind !== 'http') return;
  const codec = t.hcm.codec_type;
  const alpn = info.tls?.alpn;
  let known: 'h2' | 'http/1.1' | undefined;
  if (codec === 'HTTP1') known = 'http/1.1';
  else if (codec === 'HTTP2') known = 'h2';
  else if (alpn) known = alpn === 'h2' ? 'h2' : 'http/1.1';
  else if (inspected) known = inspected === 'h2c' ? 'h2' : 'http/1.1';
  if (known) {
    t.handler.handleConnection(socket, info, known);
    return;
  }
  // codec AUTO with nothing learned yet: look for the HTTP/2 preface ourselves, as Envoy's AUTO codec does.
  const decide = (buf: Buffer): boolean => {
    const n = Math.min(buf.length, H2_PREFACE_LEN);
    return n === H2_PREFACE_LEN || !buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
  };
  peekSocket(socket, decide, detectTimeoutMs, (outcome, buf) => {
    if (outcome === 'closed') {
      socket.destroy();
      return;
    }
    // On timeout the client has said nothing; HTTP/1.1 is the safe default and the HCM's own timers take over.
    const h2 = buf.length >= H2_PREFACE_LEN && buf.subarray(0, H2_PREFACE_LEN).equals(H2_PREFACE);
    t.handler.handleConnection(socket, info, h2 ? 'h2' : 'http/1.1');
  });
}
