// Network filters: Envoy's L4 read/write filter model — one instance per connection, before the terminal filter.
import type { Duplex } from 'node:stream';
import type { DownstreamConnectionInfo } from '../http/types.js';

/** 'stop' = hold the connection (no bytes reach later filters) until the filter calls continueReading(). */
export type NetworkFilterStatus = 'continue' | 'stop';

export interface NetworkFilter {
  /** A connection arrived; an authorizer may stop here and continue (or close) later. */
  onNewConnection?(): NetworkFilterStatus;
  /**
   * Bytes from the downstream, in order; 'stop' holds them (and later ones) until continueReading(). A Buffer
   * continues with those bytes in place of `data` (a filter that consumed some, as Envoy's drain).
   */
  onData?(data: Buffer, endStream: boolean): NetworkFilterStatus | Buffer;
  /** Bytes going to the downstream (observed; sniffers count protocol messages here). */
  onWrite?(data: Buffer, endStream: boolean): void;
  /** The connection closed: release timers and outstanding calls. */
  onDestroy?(): void;
}

export interface NetworkFilterCallbacks {
  readonly info: DownstreamConnectionInfo;
  /** The socket as the downstream sees it (for remote address, TLS state); do not read from it. */
  readonly socket: Duplex;
  continueReading(): void;
  /** Closes the connection (Envoy's close with NoFlush). */
  close(): void;
}

export type NetworkFilterFactory = (callbacks: NetworkFilterCallbacks) => NetworkFilter;
