// E2E (issue #9): access logs from the mesh config and Telemetry, through a real control plane and two mTLS sidecars —
// Istio's default text lines on every sidecar's stdout (accessLogFile: /dev/stdout), and a JSON file log enabled for one
// workload by a Telemetry with a CEL filter, carrying the caller's SPIFFE identity.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

function get(port: number, p: string, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('mesh access logs: mesh accessLogFile and Telemetry accessLogging with a CEL filter', { timeout: 120_000 }, () => {
  let control: Control;
  let app: Upstream;
  let dir: string;
  let jsonLog: string;
  const sidecars: Sidecar[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-mesh-access-log-'));
    jsonLog = path.join(dir, 'errors.json.log');
    const meshFile = path.join(dir, 'mesh.yaml');
    fs.writeFileSync(meshFile, `rootNamespace: istio-system
accessLogFile: /dev/stdout
extensionProviders:
- name: errors-json
  envoyFileAccessLog:
    path: ${jsonLog}
    logFormat:
      labels: {code: "%RESPONSE_CODE%", path: "%REQ(:PATH)%", peer: "%DOWNSTREAM_PEER_URI_SAN%", local: "%DOWNSTREAM_LOCAL_URI_SAN%"}
`);
    control = await startControl({ extraArgs: ['--mesh-config', meshFile] });
    app = await startUpstream('reviews', (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/fail' ? 500 : 200).end('r'));
    });
    const applied = await applyYaml(control, `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  ports: [{name: http, port: 9080, targetPort: ${app.port}}]
  selector: {app: reviews}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: reviews-errors, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  accessLogging:
  - providers: [{name: errors-json}]
    filter: {expression: "response.code >= 500 && connection.mtls"}
`);
    assert.equal(applied.code, 0, applied.stderr);
    sidecars.push(await startSidecar(control, { service: 'reviews', labels: 'app=reviews,version=v1', servicePort: 9080, appPort: app.port, serviceAccount: 'reviews' }));
    sidecars.push(await startSidecar(control, { service: 'productpage', labels: 'app=productpage,version=v1', servicePort: 9081, serviceAccount: 'productpage' }));
  });

  after(async () => {
    for (const s of sidecars) await s.stop();
    await control?.stop();
    await app?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("every sidecar prints Istio's text line; the reviews workload's JSON log keeps only the mTLS 5xx, with both identities", async () => {
    const [server, client] = [sidecars[0]!, sidecars[1]!];
    const host = 'reviews.default.svc.cluster.local:9080';
    await waitFor(async () => ((await get(client.outboundPort, '/ok', host)) === 200 ? true : undefined), 15_000, 'reviews through the client sidecar', 100);
    assert.equal(await get(client.outboundPort, '/fail', host), 500, 'a 500 (Istio retries 503s)');

    // client side: outbound line naming the upstream cluster; server side: inbound line with the SNI the client sent
    const clientLine = await waitFor(() => client.output().split('\n').find((l) => l.includes('"GET /fail HTTP/1.1" 500')), 10_000, 'the client line');
    assert.match(clientLine!, /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] "GET \/fail HTTP\/1\.1" 500 - via_upstream - "-" 0 1 \d+ \d+ "-" "-" "[0-9a-f-]{36}" "reviews\.default\.svc\.cluster\.local:9080" "127\.0\.0\.1:\d+" outbound\|9080\|\|reviews\.default\.svc\.cluster\.local 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ - default$/);
    const serverLine = await waitFor(() => server.output().split('\n').find((l) => l.includes('"GET /fail HTTP/1.1" 500')), 10_000, 'the server line');
    assert.match(serverLine!, /" inbound\|9080\|\| 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ outbound_\.9080_\._\.reviews\.default\.svc\.cluster\.local /);

    // the JSON log: the 500 only (the 200s are filtered out by the CEL expression)
    const lines = await waitFor(() => {
      const text = fs.existsSync(jsonLog) ? fs.readFileSync(jsonLog, 'utf8') : '';
      return text.includes('/fail') ? text.trim().split('\n') : undefined;
    }, 10_000, 'the JSON access log line');
    assert.deepEqual(lines!.map((l) => JSON.parse(l) as unknown), [
      { code: 500, path: '/fail', peer: 'spiffe://cluster.local/ns/default/sa/productpage', local: 'spiffe://cluster.local/ns/default/sa/reviews' },
    ]);
  });
});
