// Network filter tests: fake connection callbacks, stats, and a validated-config helper shared by the filter tests.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Ctx, type Raw } from '../../../../src/proxy/config/reader.js';
import type { DownstreamConnectionInfo } from '../../../../src/proxy/http/types.js';
import type { NetworkFilterCallbacks } from '../../../../src/proxy/network/api.js';
import type { NetworkFilterContext } from '../../../../src/proxy/network/registry.js';
import type { ClusterManager } from '../../../../src/proxy/upstream/types.js';
import { PoolManager } from '../../../../src/proxy/upstream/pool/pool-manager.js';
import { FakeStats } from '../../upstream/fake-stats.js';

export const INFO: DownstreamConnectionInfo = {
  remoteAddress: '10.0.0.7',
  remotePort: 40000,
  localAddress: '127.0.0.1',
  localPort: 9000,
  listenerName: 'l',
  filterChainName: '',
};

/** Callbacks that record close() and continueReading() instead of acting on a socket. */
export class FakeCallbacks implements NetworkFilterCallbacks {
  closed = 0;
  continued = 0;
  readonly socket = new PassThrough();
  constructor(readonly info: DownstreamConnectionInfo = INFO) {}
  continueReading(): void {
    this.continued++;
  }
  close(): void {
    this.closed++;
  }
}

export function filterContext(stats = new FakeStats(), clusters: Partial<ClusterManager> = {}): NetworkFilterContext & { stats: FakeStats } {
  return { stats, clusters: clusters as ClusterManager, pools: new PoolManager(() => undefined), random: Math.random };
}

/** Runs a validator on `raw`; returns the config (asserting no errors) or, with `errors`, the "path: message" lines. */
export function validated<C>(validate: (ctx: Ctx, body: Raw, path: string) => C | undefined, raw: object): C {
  const ctx = new Ctx(undefined);
  const c = validate(ctx, raw as Raw, 'f');
  assert.deepEqual(ctx.errors, []);
  assert.ok(c !== undefined);
  return c;
}

export function errorsOf<C>(validate: (ctx: Ctx, body: Raw, path: string) => C | undefined, raw: object): string[] {
  const ctx = new Ctx(undefined);
  validate(ctx, raw as Raw, 'f');
  return ctx.errors.map((e) => `${e.path}: ${e.message}`);
}
