// UDP proxy: the UDP listeners of the proxy — binds one datagram socket per listener, hands datagrams to its
// udp_proxy, and applies LDS updates (same address: new config for new sessions; new address: rebind).
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Listener } from '../config/types.js';
import type { Counter, StatsScope } from '../telemetry/stats.js';
import type { ClusterManager } from '../upstream/types.js';
import { listenerStatName } from '../listener/listener-stats.js';
import { UdpProxyFilter } from './udp-proxy.js';

export interface UdpListenerDeps {
  readonly clusters: ClusterManager;
  readonly stats: StatsScope;
}

interface ActiveUdpListener {
  config: Listener;
  proxy: UdpProxyFilter;
  readonly socket: dgram.Socket;
  readonly addressKey: string;
  readonly address: string;
  readonly port: number;
  readonly dropped: Counter;
}

function addressKey(l: Listener): string {
  const a = l.address.socket_address;
  return `${a.address}|${a.port_value}`;
}

export class UdpListeners {
  private readonly active = new Map<string, ActiveUdpListener>();

  constructor(private readonly deps: UdpListenerDeps) {}

  /** Applies the full set of UDP listeners; returns one message per listener that could not be bound. */
  async update(listeners: readonly Listener[]): Promise<string[]> {
    const wanted = new Map(listeners.map((l) => [l.name, l]));
    for (const [name, al] of this.active) {
      const next = wanted.get(name);
      if (next === undefined || addressKey(next) !== al.addressKey) {
        this.active.delete(name);
        this.retire(al);
      }
    }
    const failures: string[] = [];
    await Promise.all(
      listeners.map(async (l) => {
        const al = this.active.get(l.name);
        if (al !== undefined) {
          if (JSON.stringify(al.config) === JSON.stringify(l)) return;
          // new sessions follow the new config; sessions of the old one end now
          const old = al.proxy;
          al.proxy = this.proxyFor(l, al.socket);
          al.config = l;
          old.closeAll();
          return;
        }
        try {
          this.active.set(l.name, await this.bind(l));
        } catch (e) {
          failures.push(`listener ${l.name}: ${(e as Error).message}`);
        }
      }),
    );
    return failures;
  }

  addresses(): { name: string; address: string; port: number }[] {
    return [...this.active.entries()].map(([name, al]) => ({ name, address: al.address, port: al.port }));
  }

  close(): void {
    for (const al of this.active.values()) this.retire(al);
    this.active.clear();
  }

  private proxyFor(l: Listener, socket: dgram.Socket): UdpProxyFilter {
    return new UdpProxyFilter(l.udp!.proxy, {
      clusters: this.deps.clusters,
      stats: this.deps.stats,
      send: (msg, port, address, cb) => socket.send(msg, port, address, cb),
    });
  }

  private bind(l: Listener): Promise<ActiveUdpListener> {
    const sa = l.address.socket_address;
    const socket = dgram.createSocket(isIPv6(sa.address) ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(sa.port_value, sa.address, () => {
        socket.removeListener('error', reject);
        const addr = socket.address();
        const al: ActiveUdpListener = {
          config: l,
          proxy: this.proxyFor(l, socket),
          socket,
          addressKey: addressKey(l),
          address: addr.address,
          port: addr.port,
          dropped: this.deps.stats
            .scope('listener', ['envoy_listener_address', listenerStatName(addr.address, addr.port, l.stat_prefix)])
            .counter('udp', 'downstream_rx_datagram_dropped'),
        };
        const max = l.udp!.max_downstream_rx_datagram_size;
        socket.on('error', () => {}); // ICMP errors and the like must not take the listener down
        socket.on('message', (data, rinfo) => {
          // Envoy's receive buffer is max_rx_datagram_size: a longer datagram is truncated by the kernel and dropped
          if (data.length > max) al.dropped.inc();
          else al.proxy.onDatagram({ data, address: rinfo.address, port: rinfo.port });
        });
        resolve(al);
      });
    });
  }

  private retire(al: ActiveUdpListener): void {
    al.proxy.closeAll();
    try {
      al.socket.close();
    } catch {
      // already closed
    }
  }
}
