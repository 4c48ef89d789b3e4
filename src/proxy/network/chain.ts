// Network filters: a filter chain's non-terminal network filters, built once; per connection they run
// onNewConnection in order (any may hold the connection), then the terminal filter gets the socket.
import type { Duplex } from 'node:stream';
import type { DownstreamConnectionInfo } from '../http/types.js';
import type { NetworkFilter, NetworkFilterCallbacks, NetworkFilterFactory } from './api.js';
import { FilteredSocket } from './filtered-socket.js';

class ConnectionFilters {
  readonly filters: NetworkFilter[] = [];
  private next = 0;
  private wrapped: FilteredSocket | null = null;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly info: DownstreamConnectionInfo,
    factories: readonly NetworkFilterFactory[],
    private readonly terminal: (socket: Duplex) => void,
  ) {
    for (let i = 0; i < factories.length; i++) this.filters.push(factories[i](this.callbacks(i)));
    socket.once('close', () => {
      this.closed = true;
      for (const f of this.filters) f.onDestroy?.();
    });
  }

  private callbacks(index: number): NetworkFilterCallbacks {
    return {
      info: this.info,
      socket: this.socket,
      continueReading: () => {
        if (this.wrapped !== null) this.wrapped.continueFrom(index);
        else if (this.next === index) {
          this.next++;
          queueMicrotask(() => this.run());
        }
      },
      close: () => this.socket.destroy(),
    };
  }

  /** onNewConnection for each filter from `next`; then the hand-off to the terminal filter. */
  run(): void {
    const fs = this.filters;
    while (this.next < fs.length) {
      if (this.closed) return;
      const f = fs[this.next];
      if (f.onNewConnection?.() === 'stop') return;
      this.next++;
    }
    if (this.closed) return;
    const watches = fs.some((f) => f.onData !== undefined || f.onWrite !== undefined);
    if (!watches) {
      this.terminal(this.socket);
      return;
    }
    this.wrapped = new FilteredSocket(this.socket, fs);
    this.terminal(this.wrapped);
  }
}

export class NetworkFilterChain {
  constructor(private readonly factories: readonly NetworkFilterFactory[]) {}

  get empty(): boolean {
    return this.factories.length === 0;
  }

  accept(socket: Duplex, info: DownstreamConnectionInfo, terminal: (socket: Duplex) => void): void {
    new ConnectionFilters(socket, info, this.factories, terminal).run();
  }
}
