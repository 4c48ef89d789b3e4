// Common: a port someone else holds, reported by the flag that chose it — what a second sidecar or control plane
// on one host needs to hear (which flag to change), not a bare EADDRINUSE.
import net from 'node:net';

export function portInUseMessage(flag: string, port: number, who: string): string {
  return `${flag} ${port} is already in use (${who} on this host? pass ${flag} 0 or a free port)`;
}

function isAddressInUse(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(String((e as { message?: unknown }).message ?? ''));
}

/** `bind` (a listen), with an address-in-use failure turned into the flag's message. */
export async function bindNamed<T>(flag: string, port: number, who: string, bind: Promise<T>): Promise<T> {
  try {
    return await bind;
  } catch (e) {
    throw isAddressInUse(e) ? new Error(portInUseMessage(flag, port, who)) : e;
  }
}

/** Whether `port` on `host` can be bound now (probed by binding and releasing it). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (e) => resolve(!isAddressInUse(e)));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}
