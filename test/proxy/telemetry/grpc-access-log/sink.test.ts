// gRPC access log service: loggers shared per proxy by log type and common_config (Envoy's cache key), closed by
// their last user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../../src/proxy/telemetry/stats-store.js';
import type { AccessLoggerDeps } from '../../../../src/proxy/telemetry/access-logger-registry.js';
import type { ClusterManager } from '../../../../src/proxy/upstream/types.js';
import type { PoolManager } from '../../../../src/proxy/upstream/pool/pool-manager.js';
import type { GrpcAccessLogConfig } from '../../../../src/proxy/telemetry/grpc-access-log/config.js';
import { buildGrpcAccessLog } from '../../../../src/proxy/telemetry/grpc-access-log/sink.js';

function config(logName: string, kind: 'http' | 'tcp' = 'http', requestHeaders: string[] = []): GrpcAccessLogConfig {
  return {
    '@type': 'x',
    kind,
    common_config: {
      log_name: logName,
      grpc_service: { cluster_name: 'als', timeout: 200, initial_metadata: [] },
      transport_api_version: 'V3',
      buffer_flush_interval: 1000,
      buffer_size_bytes: 16384,
      filter_state_objects_to_log: [],
      custom_tags: [],
    },
    additional_request_headers_to_log: requestHeaders,
    additional_response_headers_to_log: [],
    additional_response_trailers_to_log: [],
  };
}

function deps(): AccessLoggerDeps {
  return { clusters: { get: () => undefined } as unknown as ClusterManager, pools: {} as PoolManager, stats: new StatsStore(), node: { id: 'n' }, shared: new Map() };
}

test('same type and common_config: one logger whatever the per-listener headers; another log name or type: another', async () => {
  const d = deps();
  const a = buildGrpcAccessLog(config('mesh', 'http', ['x-a']), d);
  const b = buildGrpcAccessLog(config('mesh', 'http', ['x-b']), d);
  assert.equal(d.shared.size, 1);
  const c = buildGrpcAccessLog(config('other'), d);
  const t = buildGrpcAccessLog(config('mesh', 'tcp'), d);
  assert.equal(d.shared.size, 3);
  await a.close();
  assert.equal(d.shared.size, 3, 'b still uses the shared logger');
  await a.close(); // twice is once
  assert.equal(d.shared.size, 3);
  await b.close();
  assert.equal(d.shared.size, 2, 'its last user closed it');
  await Promise.all([c.close(), t.close()]);
  assert.equal(d.shared.size, 0);
  // a later config starts a fresh logger
  const again = buildGrpcAccessLog(config('mesh'), d);
  assert.equal(d.shared.size, 1);
  await again.close();
});
