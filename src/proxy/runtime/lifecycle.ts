// Proxy runtime: start-up lines users and tests read, and signal handling shared by all run modes.

export interface BoundListener {
  name: string;
  address: string;
  port: number;
}

/** One line per listener, e.g. `listener ingress listening on 127.0.0.1:10000`. */
export function announce(listeners: readonly BoundListener[]): void {
  for (const l of listeners) process.stdout.write(`listener ${l.name} listening on ${l.address}:${l.port}\n`);
}

export function onShutdownSignals(stop: () => Promise<void>): void {
  const handler = (): void => {
    void stop();
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
