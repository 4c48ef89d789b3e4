// Tests that the proxy's xDS client needs neither protobufjs nor @grpc/grpc-js: a process that builds the ADS client and decodes a response loads neither (together ~20 MB of a sidecar's RSS).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adsServiceDefinition } from '../../../src/xds/ads-service.js';
import { encodeResource } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE } from '../../../src/xds/type-urls.js';
import { reviewsCluster } from '../../xds/fixtures.js';

const DIST_SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Run in a fresh process: the proxy's ADS modules decode a DiscoveryResponse; prints the resource name and every CommonJS module loaded. */
const CHILD = `
import { createRequire } from 'node:module';
const src = process.argv[1];
createRequire(src + '/cli/main.js')('commander'); // a CommonJS module the CLI loads anyway: proof the list below sees them
await import(src + '/proxy/xds/ads-client.js');
const { adsMethods } = await import(src + '/proxy/xds/ads-methods.js');
const { decodeWireResource } = await import(src + '/xds/wire/resource.js');
const res = adsMethods().sotw.deserialize(Buffer.from(process.argv[2], 'base64'));
const name = decodeWireResource(res.resources[0]).name;
process.stdout.write(JSON.stringify({ name, modules: Object.keys(createRequire(import.meta.url).cache) }));
`;

describe('the proxy xDS client', () => {
  it('decodes a control-plane response without loading protobufjs or @grpc/grpc-js', () => {
    const cluster = encodeResource(CLUSTER_TYPE, reviewsCluster('c1'));
    const response = adsServiceDefinition().StreamAggregatedResources.responseSerialize({ version_info: '1', resources: [cluster], type_url: CLUSTER_TYPE, nonce: 'n' });
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, DIST_SRC, response.toString('base64')], { encoding: 'utf8' })) as { name: string; modules: string[] };
    assert.equal(out.name, 'c1');
    assert.ok(out.modules.some((m) => m.includes(`${path.sep}commander${path.sep}`)), 'the CommonJS module list is seen');
    assert.deepEqual(out.modules.filter((m) => /[\\/](@?protobufjs|@grpc)[\\/]/.test(m)), []);
  });
});
