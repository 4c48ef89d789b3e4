// E2E: DestinationRule TLS origination from a real sidecar (Istio's egress TLS origination): the app speaks plain HTTP,
// its sidecar opens TLS to an external HTTPS server — SIMPLE verified against caCertificates (a wrong CA is refused),
// MUTUAL with a client certificate from a Secret named by credentialName (over SDS, `kubernetes://<name>`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { makeTestPki, type TestCert, type TestPki } from '../fixtures/certs.js';
import { waitFor } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

interface Seen {
  servername: string | false | null;
  clientCn: string | undefined;
}

/** An external HTTPS server (server.example.com's certificate); `mutual` asks for and verifies a client certificate. */
async function externalHttps(pki: TestPki, mutual: boolean, seen: Seen[]): Promise<https.Server> {
  const server = https.createServer({ cert: pki.serverCert, key: pki.serverKey, ...(mutual ? { ca: pki.caCert, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
    const s = req.socket as tls.TLSSocket;
    const peer = s.getPeerCertificate();
    seen.push({ servername: s.servername, clientCn: peer?.subject?.CN === undefined ? undefined : String(peer.subject.CN) });
    res.end('external');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** A MESH_EXTERNAL ServiceEntry: port 80 HTTP for the app, the endpoint's HTTPS port behind it (Istio's origination example). */
const serviceEntry = (host: string, port: number): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${host.split('.')[0]}, namespace: default}
spec:
  hosts: [${host}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${port}}}]
`;

describe('DestinationRule TLS origination (real sidecar)', { timeout: 90_000 }, () => {
  let dir: string;
  let pki: TestPki;
  let other: TestPki;
  let client: TestCert;
  let control: Control;
  let sidecar: Sidecar;
  const simpleSeen: Seen[] = [];
  const mutualSeen: Seen[] = [];
  let simple: https.Server;
  let mutual: https.Server;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'origination-'));
    pki = makeTestPki(dir);
    fs.mkdirSync(path.join(dir, 'other'));
    other = makeTestPki(path.join(dir, 'other'));
    client = pki.issue('egress-client', 'egress-client', 'DNS:client.example.com');
    simple = await externalHttps(pki, false, simpleSeen);
    mutual = await externalHttps(pki, true, mutualSeen);
    control = await startControl();
    const port = (s: https.Server): number => (s.address() as net.AddressInfo).port;
    const applied = await applyYaml(
      control,
      [
        serviceEntry('simple.example.com', port(simple)),
        serviceEntry('mutual.example.com', port(mutual)),
        `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: simple, namespace: default}
spec:
  host: simple.example.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE, caCertificates: ${pki.caCertPath}, sni: server.example.com}
`,
        `apiVersion: v1
kind: Secret
metadata: {name: egress-client, namespace: default}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(client.cert).toString('base64')}
  tls.key: ${Buffer.from(client.key).toString('base64')}
  ca.crt: ${Buffer.from(pki.caCert).toString('base64')}
`,
        `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mutual, namespace: default}
spec:
  host: mutual.example.com
  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: egress-client, sni: server.example.com, subjectAltNames: [server.example.com]}
`,
      ].join('---\n'),
    );
    assert.equal(applied.code, 0, applied.stderr);
    sidecar = await startSidecar(control, { service: 'app', labels: 'app=app', servicePort: 80 });
  });

  after(async () => {
    await sidecar?.stop();
    await control?.stop();
    for (const s of [simple, mutual]) {
      s?.closeAllConnections();
      await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SIMPLE: the app sends HTTP, the server gets TLS with the configured SNI; its certificate is verified against caCertificates', async () => {
    await waitFor(async () => (await get(sidecar.outboundPort, 'simple.example.com')).status === 200, 10_000, 'origination to simple', 100);
    assert.equal((await get(sidecar.outboundPort, 'simple.example.com')).body, 'external');
    assert.equal(simpleSeen.at(-1)!.servername, 'server.example.com');
    const applied = await applyYaml(
      control,
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: simple, namespace: default}
spec:
  host: simple.example.com
  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: ${other.caCertPath}, sni: server.example.com}}
`,
    );
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor(async () => (await get(sidecar.outboundPort, 'simple.example.com')).status === 503, 10_000, 'a server the CA does not vouch for is refused', 100);
    const before = simpleSeen.length;
    assert.equal((await get(sidecar.outboundPort, 'simple.example.com')).status, 503);
    assert.equal(simpleSeen.length, before, 'no request reached the server');
  });

  it('MUTUAL with credentialName: the client certificate comes from the Secret over SDS; the server SAN is checked', async () => {
    await waitFor(async () => (await get(sidecar.outboundPort, 'mutual.example.com')).status === 200, 10_000, 'mutual origination', 100);
    assert.equal(mutualSeen.at(-1)!.clientCn, 'egress-client');
    assert.equal(mutualSeen.at(-1)!.servername, 'server.example.com');
  });
});
