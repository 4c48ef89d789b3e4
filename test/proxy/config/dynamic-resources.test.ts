// Config: dynamic_resources lds_config / cds_config sources — ads, files (path, path_config_source with watched_directory)
// that must exist, and api_config_source streams to static clusters; ads_config is needed only by `ads: {}`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBootstrap } from '../../../src/proxy/config/index.js';
import type { Bootstrap } from '../../../src/proxy/config/types.js';
import { errorsOf, staticCluster, type J } from './helpers.js';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-dyncfg-'));
  fs.writeFileSync(path.join(dir, 'lds.yaml'), 'resources: []\n');
  fs.mkdirSync(path.join(dir, 'watched'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function parse(dynamic: J): { b?: Bootstrap; errors: string[] } {
  const r = parseBootstrap({ dynamic_resources: dynamic, static_resources: { clusters: [staticCluster('xds', 18000)] } }, { baseDir: dir });
  return r.ok ? { b: r.value, errors: [] } : { errors: errorsOf(r).map((e) => `${e.path}: ${e.message}`) };
}

const grpc = (cluster: string, api = 'GRPC'): J => ({ api_config_source: { api_type: api, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: cluster } }] } });

test('files: the deprecated path and path_config_source (with watched_directory), resolved against the bootstrap', () => {
  const r = parse({ lds_config: { path: 'lds.yaml' }, cds_config: { path_config_source: { path: 'lds.yaml', watched_directory: { path: 'watched' } }, resource_api_version: 'V3' } });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.b!.dynamic_resources, {
    lds_config: { path: path.join(dir, 'lds.yaml') },
    cds_config: { path: path.join(dir, 'lds.yaml'), watched_directory: path.join(dir, 'watched') },
  });
});

test('api_config_source: GRPC or DELTA_GRPC to a static cluster, without ads_config', () => {
  const r = parse({ lds_config: grpc('xds', 'DELTA_GRPC'), cds_config: grpc('xds') });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.b!.dynamic_resources?.lds_config, { api_config_source: { api_type: 'DELTA_GRPC', cluster_name: 'xds', transport_api_version: 'V3' } });
});

test('errors name the field', () => {
  const cases: [J, string, RegExp][] = [
    [{ lds_config: { path: 'missing.yaml' } }, 'dynamic_resources.lds_config.path', /cannot use file ".*missing\.yaml": ENOENT/],
    [{ lds_config: { path_config_source: { path: 'watched' } } }, 'dynamic_resources.lds_config.path_config_source.path', /EISDIR/],
    [{ lds_config: { path_config_source: { path: 'lds.yaml', watched_directory: { path: 'lds.yaml' } } } }, 'dynamic_resources.lds_config.path_config_source.watched_directory.path', /ENOTDIR/],
    [{ lds_config: { path_config_source: {} } }, 'dynamic_resources.lds_config.path_config_source.path', /is required/],
    [{ cds_config: grpc('nope') }, 'dynamic_resources.cds_config.api_config_source.grpc_services[0].envoy_grpc.cluster_name', /unknown cluster "nope"; the CDS cluster must be a static cluster/],
    [{ cds_config: grpc('xds', 'REST') }, 'dynamic_resources.cds_config.api_config_source.api_type', /unknown api_type "REST"/],
    [{ lds_config: { ads: {} } }, 'dynamic_resources.ads_config', /lds_config uses ads, so ads_config is required/],
    [{ lds_config: { ads: {}, path: 'lds.yaml' } }, 'dynamic_resources.lds_config.path', /only one of ads, path/],
    [{ lds_config: {} }, 'dynamic_resources.lds_config', /one of ads, path, path_config_source, api_config_source is required/],
    [{ lds_config: { self: {} } }, 'dynamic_resources.lds_config.self', /not supported by trellis/],
  ];
  for (const [dyn, at, message] of cases) {
    const { errors } = parse(dyn);
    assert.ok(errors.some((e) => e.startsWith(`${at}: `) && message.test(e)), `${JSON.stringify(dyn)} -> ${errors.join('; ')}`);
  }
});
