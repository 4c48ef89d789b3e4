// xDS client: which address the next connection to the control plane goes to — the configured targets in turn, and a
// host name's every address in turn (a name with several A records is several replicas).
import dns from 'node:dns';
import net from 'node:net';

export type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await dns.promises.lookup(host, { all: true })).map((a) => a.address);

/** One connection attempt's destination: `address` is `ip:port`; `name` is the host name it came from, for TLS. */
export interface ControlPlaneAddress {
  address: string;
  name?: string;
}

/** `host:port` split; a name (not an IP literal) is resolved at each attempt. */
function splitTarget(target: string): { host: string; port: string; isName: boolean } {
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: target.slice(i + 1), isName: net.isIP(host) === 0 };
}

export class ControlPlaneAddresses {
  private attempt = 0;
  /** Which address of a resolved name the next attempt on a name takes. */
  private nameRound = 0;

  constructor(
    private readonly targets: readonly string[],
    private readonly lookup: Lookup = systemLookup,
  ) {
    if (targets.length === 0) throw new Error('no control plane address');
  }

  /** The next destination; rejects with "cannot resolve …" when a name has no address. */
  async next(): Promise<ControlPlaneAddress> {
    const target = this.targets[this.attempt++ % this.targets.length]!;
    const { host, port, isName } = splitTarget(target);
    if (!isName) return { address: target };
    let addrs: string[];
    try {
      addrs = await this.lookup(host);
    } catch (e) {
      throw new Error(`cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (addrs.length === 0) throw new Error(`cannot resolve ${host}: no address`);
    const ip = addrs[this.nameRound++ % addrs.length]!;
    return { address: `${net.isIPv6(ip) ? `[${ip}]` : ip}:${port}`, name: host };
  }
}
