// E2E: Istio's standard metrics between real sidecars over auto-mTLS — reporter=source on the client and
// reporter=destination on the server, each knowing the other end: over HTTP through the x-envoy-peer-metadata headers,
// over TCP through the istio-peer-exchange frames both sidecars write first (the apps never see them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startUpstream, tcpExchange, tcpGreeter, waitFor, type TcpGreeter, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';
import { freePort } from '../../src/common/free-port.js';

function get(port: number, path: string, host = 'localhost'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '', headers: {} }));
    req.end();
  });
}

const line = (text: string, ...parts: string[]): string | undefined => metricLine(text, 'istio_requests_total', ...parts);
const metricLine = (text: string, metric: string, ...parts: string[]): string | undefined =>
  text.split('\n').find((l) => l.startsWith(`${metric}{`) && parts.every((p) => l.includes(p)));


describe('mesh Istio metrics: istio_requests_total from both sidecars over mTLS', { timeout: 120_000 }, () => {
  let control: Control;
  let app: Upstream;
  const sidecars: Sidecar[] = [];
  let seenByApp: http.IncomingHttpHeaders = {};
  let db: TcpGreeter;
  let dbEgress = 0;

  before(async () => {
    control = await startControl();
    app = await startUpstream('reviews', (req, res) => {
      if (req.url === '/app-metrics') return void res.end('# TYPE reviews_app_hits_total counter\nreviews_app_hits_total 7\n');
      seenByApp = req.headers;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    db = await tcpGreeter('db');
    dbEgress = await freePort();
    const applied = await applyYaml(control, `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default, labels: {app: reviews}}
spec:
  ports: [{name: http, port: 9080, targetPort: ${app.port}}]
  selector: {app: reviews}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  ports: [{name: tcp, port: 5432}]
  selector: {app: db}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: db-client, namespace: default}
spec:
  workloadSelector: {labels: {app: db-client}}
  egress:
  - port: {number: ${dbEgress}, protocol: TCP, name: tcp-db}
    hosts: ["./db.default.svc.cluster.local"]
`);
    assert.equal(applied.code, 0, applied.stderr);
    sidecars.push(await startSidecar(control, { service: 'reviews', labels: 'app=reviews,version=v1', servicePort: 9080, appPort: app.port, serviceAccount: 'reviews', extraArgs: ['--app-metrics-port', String(app.port), '--app-metrics-path', '/app-metrics'] }));
    sidecars.push(await startSidecar(control, { service: 'productpage', labels: 'app=productpage,version=v1', servicePort: 9081, serviceAccount: 'productpage' }));
    sidecars.push(await startSidecar(control, { service: 'db', labels: 'app=db,version=v2', servicePort: 5432, appPort: db.port, serviceAccount: 'db' }));
    sidecars.push(await startSidecar(control, { service: 'db-client', labels: 'app=db-client', servicePort: 9082, serviceAccount: 'db-client' }));
  });

  after(async () => {
    for (const s of sidecars) await s.stop();
    await control?.stop();
    await app?.close();
    await db?.close();
  });

  it('client and server report the request with both workloads, principals and mutual_tls', async () => {
    const [server, client] = [sidecars[0]!, sidecars[1]!];
    let res = await get(client.outboundPort, '/', 'reviews.default.svc.cluster.local:9080');
    await waitFor(async () => {
      res = await get(client.outboundPort, '/', 'reviews.default.svc.cluster.local:9080');
      return res.status === 200 ? true : undefined;
    }, 15_000, 'reviews through the client sidecar', 100);
    assert.equal(seenByApp['x-envoy-peer-metadata'], undefined, 'the exchange header never reaches the app');
    assert.equal(res.headers['x-envoy-peer-metadata'], undefined, 'nor the client');
    const promPort = Number(/prometheus listening on [\d.]+:(\d+)/.exec(server.output())?.[1]);
    const dst = (await get(promPort, '/stats/prometheus')).body;
    assert.match(dst, /^reviews_app_hits_total 7$/m, "the app's own metrics are merged in (--app-metrics-port/--app-metrics-path)");
    const d = line(dst, 'reporter="destination"');
    assert.ok(d, dst.split('\n').filter((l) => l.startsWith('istio_')).join('\n'));
    for (const want of ['source_workload="productpage-v1"', 'destination_workload="reviews-v1"', 'source_app="productpage"',
      'source_principal="spiffe://cluster.local/ns/default/sa/productpage"', 'destination_principal="spiffe://cluster.local/ns/default/sa/reviews"',
      'connection_security_policy="mutual_tls"', 'response_code="200"'])
      assert.ok(d.includes(want), `${want} in ${d}`);
    const src = (await get(client.adminPort, '/stats/prometheus')).body;
    const s = line(src, 'reporter="source"');
    assert.ok(s, src.split('\n').filter((l) => l.startsWith('istio_')).join('\n'));
    for (const want of ['source_workload="productpage-v1"', 'destination_workload="reviews-v1"', 'destination_service="reviews.default.svc.cluster.local"', 'response_code="200"'])
      assert.ok(s.includes(want), `${want} in ${s}`);
  });

  it('TCP: both sidecars report connections and bytes with both workloads; the exchange frames never reach either app', async () => {
    const [server, client] = [sidecars[2]!, sidecars[3]!];
    await waitFor(async () => ((await tcpExchange(dbEgress, 'ping\n')) === 'db\nping\n' ? true : undefined), 15_000, 'db through the client sidecar', 100);
    assert.equal(await tcpExchange(dbEgress, 'hello\n'), 'db\nhello\n', 'the client app sees the greeting and the echo only');
    assert.ok(/^(ping\n)+hello\n$/.test(db.seen()), `the server app sees only what the client sent: ${JSON.stringify(db.seen())}`);
    const want = ['source_workload="db-client"', 'destination_workload="db-v2"', 'destination_app="db"', 'destination_version="v2"',
      'destination_service="db.default.svc.cluster.local"', 'request_protocol="tcp"', 'response_flags="-"'];
    let dst = '';
    await waitFor(async () => {
      dst = (await get(server.adminPort, '/stats/prometheus')).body;
      return metricLine(dst, 'istio_tcp_connections_closed_total', 'reporter="destination"', 'source_workload="db-client"') !== undefined ? true : undefined;
    }, 10_000, 'the server reports the closed connections', 100);
    const closedDst = metricLine(dst, 'istio_tcp_connections_closed_total', 'reporter="destination"')!;
    for (const w of [...want, 'source_principal="spiffe://cluster.local/ns/default/sa/db-client"', 'destination_principal="spiffe://cluster.local/ns/default/sa/db"', 'connection_security_policy="mutual_tls"'])
      assert.ok(closedDst.includes(w), `${w} in ${closedDst}`);
    assert.doesNotMatch(closedDst, /response_code/);
    assert.ok(metricLine(dst, 'istio_tcp_connections_opened_total', 'reporter="destination"', 'source_workload="db-client"'));
    const received = Number(metricLine(dst, 'istio_tcp_received_bytes_total', 'reporter="destination"')?.split(' ').pop());
    assert.equal(received, db.seen().length, 'the server counts the bytes its app received, not the exchange frame');
    const src = (await get(client.adminPort, '/stats/prometheus')).body;
    const closedSrc = metricLine(src, 'istio_tcp_connections_closed_total', 'reporter="source"');
    assert.ok(closedSrc, src.split('\n').filter((l) => l.startsWith('istio_tcp')).join('\n'));
    for (const w of [...want, 'source_principal="spiffe://cluster.local/ns/default/sa/db-client"', 'destination_principal="spiffe://cluster.local/ns/default/sa/db"'])
      assert.ok(closedSrc.includes(w), `${w} in ${closedSrc}`);
    const sent = Number(metricLine(src, 'istio_tcp_sent_bytes_total', 'reporter="source"')?.split(' ').pop());
    assert.ok(sent >= 'db\nping\n'.length + 'db\nhello\n'.length, `the client counts what went back to its app: ${sent}`);
  });
});
