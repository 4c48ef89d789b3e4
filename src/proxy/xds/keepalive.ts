// xDS client: HTTP/2 keepalive for the control-plane connection — a PING every interval; no answer within the timeout ends the session.

/** The part of an http2 session keepalive uses (a fake in tests). */
export interface Pingable {
  ping(callback: (err: Error | null) => void): boolean;
  destroy(err?: Error): void;
}

export interface KeepaliveOptions {
  /** Default 30 s (what grpc-js was configured with before). */
  intervalMs?: number;
  /** Default 10 s. */
  timeoutMs?: number;
}

/**
 * Starts pinging; returns a stop function (call it when the session closes). Without this a control plane that
 * vanished without a FIN (a dropped VM, a NAT timeout) would leave the stream silent for good.
 */
export function startKeepalive(session: Pingable, opts: KeepaliveOptions = {}): () => void {
  const intervalMs = opts.intervalMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let deadline: NodeJS.Timeout | undefined;
  const fail = (why: string): void => {
    stop();
    session.destroy(new Error(why));
  };
  const interval = setInterval(() => {
    if (deadline !== undefined) return; // the last ping is still out
    deadline = setTimeout(() => fail(`keepalive: no PING answer within ${timeoutMs} ms`), timeoutMs);
    deadline.unref?.();
    let sent: boolean;
    try {
      sent = session.ping((err) => {
        if (deadline === undefined) return;
        clearTimeout(deadline);
        deadline = undefined;
        if (err !== null) fail(`keepalive: ${err.message}`);
      });
    } catch (e) {
      sent = false;
    }
    if (!sent) fail('keepalive: the session cannot send a PING');
  }, intervalMs);
  interval.unref?.();
  const stop = (): void => {
    clearInterval(interval);
    if (deadline !== undefined) clearTimeout(deadline);
    deadline = undefined;
  };
  return stop;
}
