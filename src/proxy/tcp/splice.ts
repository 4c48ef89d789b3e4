// TCP proxy: joins downstream and upstream both ways with backpressure, half-close and an idle timeout.
import type { Duplex } from 'node:stream';

export interface SpliceHooks {
  idleTimeoutMs: number; // 0 disables
  onIdleTimeout(): void;
  onRxBytes(n: number): void; // read from downstream
  onTxBytes(n: number): void; // written to downstream
  /** Downstream closed while upstream still had unwritten bytes (Envoy's upstream_flush). */
  onUpstreamFlush(): void;
  onDone(): void;
}

/**
 * pipe() gives backpressure and forwards a FIN as end() on the other side; both sockets are
 * allowHalfOpen so the other direction keeps flowing. When one side is fully closed, the other is
 * ended (flushing what it holds, as Envoy's FlushWrite) then destroyed; after an error it is reset.
 */
export function splice(down: Duplex, up: Duplex, hooks: SpliceHooks): { destroy(): void } {
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let closed = 0;

  // One lazily re-armed timer instead of a reset per chunk: on expiry it re-checks the last activity.
  const arm = (ms: number): void => {
    timer = setTimeout(() => {
      const idle = Date.now() - last;
      if (idle >= hooks.idleTimeoutMs) {
        hooks.onIdleTimeout();
        destroy();
      } else arm(hooks.idleTimeoutMs - idle);
    }, ms);
    timer.unref();
  };
  if (hooks.idleTimeoutMs > 0) arm(hooks.idleTimeoutMs);

  const destroy = (): void => {
    down.destroy();
    up.destroy();
  };
  const onClose = (self: Duplex, other: Duplex) => (hadError: boolean): void => {
    if (++closed === 2) {
      if (timer) clearTimeout(timer);
      hooks.onDone();
      return;
    }
    if (other.destroyed) return;
    if (hadError || other.writableEnded) {
      if (hadError) other.destroy();
      return;
    }
    if (self === down && other.writableLength > 0) hooks.onUpstreamFlush();
    other.end();
    other.once('finish', () => other.destroy());
  };
  const noop = (): void => {};
  down.on('error', noop);
  up.on('error', noop);
  down.on('close', onClose(down, up));
  up.on('close', onClose(up, down));
  down.on('data', (c: Buffer) => {
    last = Date.now();
    hooks.onRxBytes(c.length);
  });
  up.on('data', (c: Buffer) => {
    last = Date.now();
    hooks.onTxBytes(c.length);
  });
  down.pipe(up);
  up.pipe(down);
  return { destroy };
}
