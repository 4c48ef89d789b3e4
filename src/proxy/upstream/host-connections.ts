// Upstream: open connections per host (Envoy's per-host cx_active on /clusters), counted from connect to socket close.

const active = new WeakMap<object, number>();

/** Counts `socket` as an open connection of `host` until it emits 'close'. */
export function trackHostConnection(host: object, socket: { once(event: 'close', listener: () => void): unknown }): void {
  active.set(host, (active.get(host) ?? 0) + 1);
  socket.once('close', () => active.set(host, Math.max(0, (active.get(host) ?? 1) - 1)));
}

/** Open connections of `host` right now. */
export function hostConnectionsActive(host: object): number {
  return active.get(host) ?? 0;
}
