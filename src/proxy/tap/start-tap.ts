// Proxy tap: whether and how this proxy opens its tap stream — only a Trellis sidecar/gateway bootstrap (node WORKLOAD_NAME) with an ADS cluster.
import type { Bootstrap } from '../config/types.js';
import type { XdsCredentials } from '../xds/xds-credentials.js';
import type { StatsStore } from '../telemetry/stats-store.js';
import { controlPlaneTargets, xdsNode } from '../xds/bootstrap-ads.js';

export interface StartedTap {
  close(): void;
}

/** Loaded lazily so a proxy without a Trellis control plane never loads the tap client. */
export async function startTap(b: Bootstrap, version: string, credentials: XdsCredentials | undefined, stats: StatsStore): Promise<StartedTap | undefined> {
  const meta = b.node.metadata as Record<string, unknown> | undefined;
  if (b.dynamic_resources?.ads_config === undefined || typeof meta?.WORKLOAD_NAME !== 'string') return undefined;
  const targets = controlPlaneTargets(b);
  if (targets.length === 0) return undefined;
  const { TapClient } = await import('./tap-client.js');
  const client = new TapClient(xdsNode(b, version), { targets, ...(credentials !== undefined ? { credentials } : {}) }, stats, (m) => void process.stderr.write(`${m}\n`));
  client.start();
  return client;
}
