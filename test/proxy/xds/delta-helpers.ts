// Test helpers for the Delta ADS client tests: a DELTA_GRPC bootstrap, polling, flat stats.
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import type { Proxy } from '../../../src/proxy/proxy.js';
import { flatName } from '../../../src/proxy/telemetry/stat-name.js';

export function adsBootstrap(adsPort: number, apiType: 'GRPC' | 'DELTA_GRPC' = 'DELTA_GRPC'): Parameters<typeof parseBootstrap>[0] {
  return {
    node: { id: 'sidecar~127.0.0.1~delta-1.default~default.svc.cluster.local', cluster: 'test', metadata: { NAMESPACE: 'default' } },
    dynamic_resources: {
      ads_config: { api_type: apiType, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: 'xds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: adsPort } } } }] }] },
        },
      ],
    },
  };
}

export async function until(pred: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Flat Envoy stat name -> value, from the proxy's stats snapshot. */
export function flatStats(p: Proxy): Map<string, number> {
  const snap = p.stats.snapshot();
  const out = new Map<string, number>();
  for (const s of [...snap.counters, ...snap.gauges]) out.set(flatName(s.segments), s.value);
  return out;
}
