// Network filters: istio.metadata_exchange on a listener — on a connection that negotiated the exchange's ALPN, it
// writes this proxy's frame first and reads the client's frame off the front of the byte stream (never passed on).
import type { NetworkFilter, NetworkFilterCallbacks, NetworkFilterFactory } from '../../api.js';
import { connectionState } from '../../connection-state.js';
import { ExchangeReader, localExchangeFrame } from '../../../telemetry/peer-exchange.js';
import type { Counter, StatsScope } from '../../../telemetry/stats.js';
import type { PeerInfo } from '../../../telemetry/peer-info.js';
import type { MetadataExchangeConfig } from './config.js';

const EMPTY = Buffer.alloc(0);

/** Istio's metadata_exchange stats (alpn_protocol_found, …) under metadata_exchange.<name>. */
export interface ExchangeStats {
  readonly alpnFound: Counter;
  readonly alpnNotFound: Counter;
  readonly metadataAdded: Counter;
  readonly headerNotFound: Counter;
}

export function exchangeStats(root: StatsScope): ExchangeStats {
  const s = root.scope('metadata_exchange');
  return {
    alpnFound: s.counter('alpn_protocol_found'),
    alpnNotFound: s.counter('alpn_protocol_not_found'),
    metadataAdded: s.counter('metadata_added'),
    headerNotFound: s.counter('header_not_found'),
  };
}

/**
 * One side of the exchange on a byte stream: `write` sends our frame (before any other byte), `onData` strips the
 * peer's frame and hands back what follows it. Shared by the listener filter and tcp_proxy's upstream side.
 */
export class ExchangeSide {
  private reader: ExchangeReader | null = new ExchangeReader();

  constructor(
    private readonly stats: ExchangeStats,
    private readonly onPeer: (peer: PeerInfo) => void,
  ) {}

  /** Sends our frame through `write`: call once, before any other byte goes out on the connection. */
  start(write: (b: Buffer) => void): void {
    this.stats.alpnFound.inc();
    const frame = localExchangeFrame();
    if (frame === undefined) return;
    write(frame);
    this.stats.metadataAdded.inc();
  }

  onData(data: Buffer, endStream: boolean): Buffer {
    const reader = this.reader;
    if (reader === null) return data;
    const r = reader.push(data);
    if (r.state === 'more') {
      if (!endStream) return EMPTY;
      this.reader = null;
      return reader.flush();
    }
    this.reader = null;
    if (r.state === 'invalid' || r.peer === undefined) this.stats.headerNotFound.inc();
    if (r.state === 'done' && r.peer !== undefined) this.onPeer(r.peer);
    return r.rest;
  }
}

export function metadataExchangeFactory(cfg: MetadataExchangeConfig, ctx: { stats: StatsScope }): NetworkFilterFactory {
  const stats = exchangeStats(ctx.stats);
  return (cb: NetworkFilterCallbacks): NetworkFilter => {
    if (cb.info.tls?.alpn !== cfg.protocol) {
      stats.alpnNotFound.inc();
      return {};
    }
    const side = new ExchangeSide(stats, (peer) => (connectionState(cb.info).downstreamPeer = peer));
    return {
      onNewConnection: () => {
        side.start((b) => cb.socket.write(b));
        return 'continue';
      },
      onData: (data, end) => side.onData(data, end),
    };
  };
}
