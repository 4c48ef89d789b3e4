// E2E: `trellis proxy --control-plane … --xds-api sotw` (the real CLI process) gets its node identity right and serves what a fake control plane sends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { proxyNodeFromNode } from '../../../src/control/model/proxy-node.js';
import type { XdsNode } from '../../../src/xds/ads-service.js';
import type { Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/xds/type-urls.js';
import { FakeAds } from './fake-ads.js';
import { cla, edsCluster, get, listener, routes, upstream, type Upstream } from './resources.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');

function meta(node: XdsNode | undefined, key: string): number {
  const m = (node?.metadata ?? {}) as Json;
  return Number(m[key]);
}

function adminGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('trellis proxy --control-plane', () => {
  const ads = new FakeAds();
  let app: Upstream;
  let peer: Upstream;
  let proc: ChildProcess;
  let out = '';

  const waitOut = (re: RegExp, ms = 15000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${re} in output:\n${out}`)), ms);
      const check = (): void => {
        const m = re.exec(out);
        if (m === null) return;
        clearTimeout(t);
        proc.stdout?.off('data', check);
        resolve(m);
      };
      proc.stdout?.on('data', check);
      check();
    });

  before(async () => {
    app = await upstream('app');
    peer = await upstream('ratings');
    await ads.listen();
    ads.set(CLUSTER_TYPE, [
      edsCluster('outbound|9080||ratings.shop.svc.cluster.local'),
      {
        '@type': CLUSTER_TYPE,
        name: 'inbound|9080||',
        type: 'STATIC',
        connect_timeout: '1s',
        load_assignment: { cluster_name: 'inbound|9080||', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: app.port } } } }] }] },
      },
    ]);
    ads.set(ENDPOINT_TYPE, [cla('outbound|9080||ratings.shop.svc.cluster.local', [peer.port])]);
    // the sidecar's listeners on the ports its node metadata announces, as the control plane writes them
    ads.set(LISTENER_TYPE, (node) => [listener('outbound', meta(node, 'TRELLIS_OUTBOUND_PORT'), 'outbound'), listener('inbound', meta(node, 'TRELLIS_INBOUND_PORT'), 'inbound|9080')]);
    ads.set(ROUTE_TYPE, [routes('outbound', 'outbound|9080||ratings.shop.svc.cluster.local'), routes('inbound|9080', 'inbound|9080||')]);
    const args = [
      CLI, 'proxy', '--control-plane', `127.0.0.1:${ads.port}`, '--service', 'reviews', '--namespace', 'shop', '--labels', 'app=reviews,version=v1',
      '--service-port', '9080', '--app-port', String(app.port), '--outbound-port', '0', '--inbound-port', '0', '--admin-port', '0', '--prometheus-port', '0',
      '--xds-api', 'sotw', // the fake control plane speaks SotW (delta is the default: delta-ads-client.test.ts, e2e/delta-xds.test.ts)
    ];
    proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitOut(/^admin listening on 127\.0\.0\.1:\d+$/m);
  });

  after(async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    await ads.close();
    await app.close();
    await peer.close();
  });

  it('connects with an Istio-style node id and the metadata the control plane parses', () => {
    const node = ads.requests[0]?.node;
    assert.ok(node !== undefined);
    assert.match(node.id ?? '', /^sidecar~127\.0\.0\.1~reviews-v1-[b-z2-9]{5}\.shop~shop\.svc\.cluster\.local$/, "the pod named as a Deployment's: <workload>-<5 characters>");
    const p = proxyNodeFromNode({ id: node.id ?? '', metadata: node.metadata as Json, user_agent_name: node.user_agent_name });
    assert.equal(p.type, 'sidecar');
    assert.equal(p.namespace, 'shop');
    assert.deepEqual(p.labels, { app: 'reviews', version: 'v1' });
    assert.equal(p.ip, '127.0.0.1');
    assert.equal(p.serviceName, 'reviews');
    assert.equal(p.servicePort, 9080);
    assert.equal(p.appPort, app.port);
    assert.equal(p.serviceAccount, 'default');
    assert.ok(p.outboundPort > 0 && p.outboundPort !== 15001, 'port 0 became a free port');
    assert.ok(p.inboundPort > 0 && p.inboundPort !== 15006);
  });

  it('prints the LDS listeners on their announced ports before the admin line and routes traffic both ways', async () => {
    const node = ads.requests[0]?.node;
    const ob = /^listener outbound listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
    const ib = /^listener inbound listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
    assert.ok(ob !== null && ib !== null, out);
    assert.equal(Number(ob[1]), meta(node, 'TRELLIS_OUTBOUND_PORT'));
    assert.equal(Number(ib[1]), meta(node, 'TRELLIS_INBOUND_PORT'));
    assert.ok(out.indexOf('listener outbound') < out.indexOf('admin listening'));
    assert.equal((await get(Number(ob[1]))).body, 'ratings');
    assert.equal((await get(Number(ib[1]))).body, 'app');
  });

  it('prints a listener added later by LDS when it is bound, and shows xDS state on the admin port', async () => {
    ads.set(LISTENER_TYPE, (node) => [
      listener('outbound', meta(node, 'TRELLIS_OUTBOUND_PORT'), 'outbound'),
      listener('inbound', meta(node, 'TRELLIS_INBOUND_PORT'), 'inbound|9080'),
      listener('extra', 0, 'outbound'),
    ]);
    const m = await waitOut(/^listener extra listening on 127\.0\.0\.1:(\d+)$/m, 5000);
    assert.equal((await get(Number(m[1]))).body, 'ratings');
    const admin = Number(/^admin listening on 127\.0\.0\.1:(\d+)$/m.exec(out)![1]);
    const stats = await adminGet(admin, '/stats');
    assert.match(stats, /^control_plane\.connected_state: 1$/m);
    assert.match(stats, /^listener_manager\.lds\.update_success: 2$/m);
    assert.match(stats, /^http\.outbound\.rds\.outbound\.update_success: 1$/m);
    const dump = await adminGet(admin, '/config_dump');
    assert.match(dump, /"dynamic_listeners"/);
    assert.match(dump, /"version_info": ?"v2"/);
  });
});
