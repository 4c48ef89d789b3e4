// Common: a port nothing listens on, for flags given as 0 that must be known before the bind (a sidecar announces its
// ports to the control plane before LDS binds them). Chosen below the kernel's ephemeral range, so that no outgoing
// connection on this host is handed the port between the choice and the bind.
import fs from 'node:fs';
import net from 'node:net';

const LOWEST = 10_000;
const ATTEMPTS = 32;

/** The first port the kernel hands out to outgoing connections (Linux's ip_local_port_range; IANA's 49152 elsewhere). */
function ephemeralStart(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 49152;
  } catch {
    return 49152;
  }
}

function bindable(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen({ host, port, exclusive: true }, () => {
      const bound = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(bound));
    });
  });
}

/** A free port on `host`; the kernel's own pick (listen on 0) only when no port below the ephemeral range is free. */
export async function freePort(host = '127.0.0.1', random: () => number = Math.random): Promise<number> {
  const top = ephemeralStart() - 1;
  for (let i = 0; top > LOWEST && i < ATTEMPTS; i++) {
    const port = await bindable(host, LOWEST + Math.floor(random() * (top - LOWEST + 1)));
    if (port !== undefined) return port;
  }
  const port = await bindable(host, 0);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}
