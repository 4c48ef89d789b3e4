// HTTP filters: jwt_authn key sources — a local JWKS, or a remote one fetched through a cluster, cached and shared by waiters.
import type { Counter } from '../../../telemetry/stats.js';
import type { AsyncCall, AsyncCallOptions, AsyncFailure, AsyncRequest, AsyncResponse } from '../../../upstream/async-client.js';
import type { RemoteJwksConfig } from './config.js';
import { parseJwks, type Jwks } from './jwks.js';

/** A key set, or undefined when it could not be had (fetch failed or the document had no usable key). */
export type KeysOutcome = Jwks | undefined | Promise<Jwks | undefined>;

export interface KeySource {
  keys(): KeysOutcome;
  /** Whether `undefined` from keys() means a failed fetch (JwksFetchFail) rather than a bad local set. */
  readonly remote: boolean;
}

export class LocalKeySource implements KeySource {
  readonly remote = false;
  private readonly jwks: Jwks | undefined;
  constructor(text: string) {
    const p = parseJwks(text);
    this.jwks = typeof p === 'string' ? undefined : p;
  }
  keys(): KeysOutcome {
    return this.jwks;
  }
}

/** Refresh before a background-fetched set would expire, as Envoy does (5 s early). */
const REFETCH_EARLY_MS = 5_000;
/** The most a JWKS document may be; a larger answer fails the fetch. */
export const MAX_JWKS_BYTES = 256 * 1024;

/** asyncHttpCall bound to the proxy's clusters and pools (a fake in tests). */
export type ClusterCall = (
  cluster: string,
  req: AsyncRequest,
  opts: AsyncCallOptions,
  cb: (err: AsyncFailure | null, res?: AsyncResponse) => void,
) => AsyncCall;

export interface RemoteDeps {
  readonly call: ClusterCall;
  readonly fetchSuccess: Counter;
  readonly fetchFailed: Counter;
  readonly now: () => number;
  readonly random: () => number;
}

/**
 * One provider's remote JWKS. Requests that find no fresh set wait on one shared fetch; a fetched set is kept
 * for cache_duration. With async_fetch the set is fetched up front and refreshed by a timer instead.
 */
export class RemoteKeySource implements KeySource {
  readonly remote = true;
  private jwks: Jwks | undefined;
  private expiresAt = 0;
  private inflight: Promise<Jwks | undefined> | undefined;
  private call: AsyncCall | undefined;
  private readonly path: string;
  private readonly authority: string;

  constructor(
    private readonly cfg: RemoteJwksConfig,
    private readonly deps: RemoteDeps,
  ) {
    const url = new URL(cfg.uri);
    this.path = url.pathname + url.search;
    this.authority = url.host;
    if (cfg.async_fetch !== undefined) startBackgroundRefresh(this, cfg.async_fetch.failed_refetch_ms);
  }

  keys(): KeysOutcome {
    if (this.jwks !== undefined && this.deps.now() < this.expiresAt) return this.jwks;
    return this.fetch();
  }

  /** Starts a fetch unless one is under way; every caller gets the same answer. */
  fetch(): Promise<Jwks | undefined> {
    return (this.inflight ??= this.attempt(0).then((jwks) => {
      this.inflight = undefined;
      if (jwks === undefined) this.deps.fetchFailed.inc();
      else {
        this.deps.fetchSuccess.inc();
        this.jwks = jwks;
        // A set kept fresh by async_fetch does not expire on its own: the timer replaces it.
        this.expiresAt = this.cfg.async_fetch !== undefined ? Infinity : this.deps.now() + this.cfg.cache_duration_ms;
      }
      return jwks;
    }));
  }

  /** Delay before the background refresh after a fetch that succeeded. */
  get refreshAfterMs(): number {
    const d = this.cfg.cache_duration_ms;
    return d > REFETCH_EARLY_MS ? d - REFETCH_EARLY_MS : d;
  }

  private attempt(n: number): Promise<Jwks | undefined> {
    return this.once().then((r) => {
      const retry = this.cfg.retry;
      if (r !== 'retriable') return r;
      if (retry === undefined || n >= retry.num_retries) return undefined;
      // Full jitter over an exponentially growing window, capped at max_interval.
      const window = Math.min(retry.max_ms, retry.base_ms * 2 ** n);
      const delay = Math.floor(this.deps.random() * window);
      return new Promise<void>((resolve) => void setTimeout(() => resolve(), delay).unref()).then(() => this.attempt(n + 1));
    });
  }

  /**
   * One GET of the JWKS URI through the cluster: the key set of a 200 with a usable one; 'retriable' for
   * what Envoy's JWKS retry policy retries (5xx, connect failure, reset, timeout); undefined for the rest.
   */
  private once(): Promise<Jwks | undefined | 'retriable'> {
    return new Promise((resolve) => {
      this.call = this.deps.call(
        this.cfg.cluster,
        { method: 'GET', path: this.path, authority: this.authority, headers: {} },
        { timeoutMs: this.cfg.timeout_ms, maxResponseBytes: MAX_JWKS_BYTES },
        (err, res) => {
          this.call = undefined;
          if (err !== null) return resolve(err === 'no-cluster' || err === 'too-large' || err === 'cancelled' ? undefined : 'retriable');
          if (res === undefined) return resolve(undefined);
          if (res.status >= 500) return resolve('retriable');
          if (res.status !== 200 || res.body.length === 0) return resolve(undefined);
          const parsed = parseJwks(res.body.toString('utf8'));
          resolve(typeof parsed === 'string' ? undefined : parsed);
        },
      );
    });
  }

  /** Stops an outstanding fetch (tests; the source is otherwise dropped with its filter chain). */
  cancel(): void {
    this.call?.cancel();
    this.call = undefined;
  }
}

/**
 * async_fetch: fetch now, then again before the set expires (or soon after a failure). The timer holds the
 * source only weakly, so a source whose filter chain was replaced stops refreshing once it is collected.
 */
function startBackgroundRefresh(source: RemoteKeySource, failedRefetchMs: number): void {
  const ref = new WeakRef(source);
  const run = (): void => {
    const s = ref.deref();
    if (s === undefined) return;
    void s.fetch().then((jwks) => {
      const again = ref.deref();
      if (again === undefined) return;
      setTimeout(run, jwks !== undefined ? again.refreshAfterMs : failedRefetchMs).unref();
    });
  };
  // Deferred so the filter chain (and the cluster manager it fetches through) are fully built first.
  setImmediate(run).unref();
}
