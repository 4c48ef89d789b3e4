// E2E: L4 through a real `trellis control`, a sidecar and a `trellis gateway`: (a) a Sidecar egress TCP listener forwards raw TCP and a
// VirtualService tcp weighted split moves new connections (100/0 → 0/100); (b) a gateway TLS PASSTHROUGH server routes by SNI to two
// backends that terminate TLS themselves; (c) a gateway HTTPS SIMPLE server terminates TLS with file certificates and routes HTTP by VirtualService.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { makeTestPki, type TestPki } from '../fixtures/certs.js';
import { startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, listenerUp, startControl, startGateway, startSidecar, type Control, type Gateway, type Sidecar } from './mesh-harness.js';
import { freePort } from '../../src/common/free-port.js';

interface Backend {
  name: string;
  port: number;
  close(): Promise<void>;
}

/** A server that greets each connection with `name\n`, then echoes; `tlsOpts` makes it terminate TLS itself. */
async function greeter(name: string, tlsOpts?: tls.TlsOptions): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const onConn = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write(`${name}\n`);
    s.pipe(s);
  };
  const server = tlsOpts !== undefined ? tls.createServer(tlsOpts, onConn) : net.createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}


/** Connects (plain or TLS), sends `payload`, returns the greeting line and what came back after it. */
function exchange(connect: () => net.Socket, payload: string, ready = 'connect'): Promise<{ greeting: string; echoed: string }> {
  return new Promise((resolve, reject) => {
    const s = connect();
    let data = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer (got ${JSON.stringify(data)})`));
    }, 3000);
    s.once(ready, () => s.write(payload));
    s.on('data', (d: Buffer) => {
      data += d.toString();
      const nl = data.indexOf('\n');
      if (nl >= 0 && data.length - nl - 1 >= payload.length) {
        clearTimeout(t);
        s.end();
        resolve({ greeting: data.slice(0, nl), echoed: data.slice(nl + 1) });
      }
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(t);
      reject(new Error(`closed before an answer (got ${JSON.stringify(data)})`));
    });
  });
}

const tcpVs = (a: number, b: number): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo.internal]
  tcp:
  - route:
    - {destination: {host: echo.internal, subset: a}, weight: ${a}}
    - {destination: {host: echo.internal, subset: b}, weight: ${b}}
`;

describe('mesh L4: Sidecar egress TCP, gateway TLS passthrough and HTTPS termination', { timeout: 30_000 }, () => {
  let dir = '';
  let pki: TestPki;
  let control: Control;
  let sidecar: Sidecar;
  let gateway: Gateway;
  const backends: Backend[] = [];
  let web: Upstream;
  const ports = { egress: 0, passthrough: 0, https: 0 };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-l4-'));
    pki = makeTestPki(dir);
    const certA = pki.issue('a', 'a.example.com', 'DNS:a.example.com');
    const certB = pki.issue('b', 'b.example.com', 'DNS:b.example.com');
    const [echoA, echoB, tlsA, tlsB] = await Promise.all([
      greeter('echo-a'),
      greeter('echo-b'),
      greeter('tls-a', { cert: certA.cert, key: certA.key }),
      greeter('tls-b', { cert: certB.cert, key: certB.key }),
    ]);
    backends.push(echoA!, echoB!, tlsA!, tlsB!);
    web = await startUpstream('web');
    ports.egress = await freePort();
    ports.passthrough = await freePort();
    ports.https = await freePort();
    control = await startControl();
    const mesh = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 7000, name: tcp, protocol: TCP}]
  endpoints:
  - {address: 127.0.0.1, ports: {tcp: ${echoA!.port}}, labels: {v: a}}
  - {address: 127.0.0.1, ports: {tcp: ${echoB!.port}}, labels: {v: b}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: echo.internal
  subsets: [{name: a, labels: {v: a}}, {name: b, labels: {v: b}}]
---
${tcpVs(100, 0)}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client, namespace: default}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: ${ports.egress}, protocol: TCP, name: tcp-echo}
    hosts: ["./echo.internal"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-backends, namespace: default}
spec:
  hosts: [tls-a.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8443, name: tls, protocol: TLS}]
  endpoints: [{address: 127.0.0.1, ports: {tls: ${tlsA!.port}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-b, namespace: default}
spec:
  hosts: [tls-b.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8443, name: tls, protocol: TLS}]
  endpoints: [{address: 127.0.0.1, ports: {tls: ${tlsB!.port}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: default}
spec:
  hosts: [web.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${web.port}}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${ports.passthrough}, name: tls-passthrough, protocol: TLS}
    bind: 127.0.0.1
    hosts: [a.example.com, b.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: ${ports.https}, name: https, protocol: HTTPS}
    bind: 127.0.0.1
    hosts: [server.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${pki.serverCertPath}, privateKey: ${pki.serverKeyPath}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: sni, namespace: default}
spec:
  hosts: [a.example.com, b.example.com]
  gateways: [edge]
  tls:
  - match: [{sniHosts: [a.example.com]}]
    route: [{destination: {host: tls-a.internal, port: {number: 8443}}}]
  - match: [{sniHosts: [b.example.com]}]
    route: [{destination: {host: tls-b.internal, port: {number: 8443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [server.example.com]
  gateways: [edge]
  http:
  - match: [{uri: {prefix: /web}}]
    route: [{destination: {host: web.internal, port: {number: 8080}}}]
`;
    const applied = await applyYaml(control, mesh, 'L4 mesh');
    assert.equal(applied.code, 0, applied.stderr);
    [sidecar, gateway] = await Promise.all([startSidecar(control, { service: 'client', labels: 'app=client', servicePort: 1 }), startGateway(control, { labels: 'istio=ingressgateway' })]);
    await Promise.all([
      listenerUp(sidecar, `127.0.0.1_${ports.egress}`),
      listenerUp(gateway, `127.0.0.1_${ports.passthrough}`),
      listenerUp(gateway, `127.0.0.1_${ports.https}`),
    ]);
  });

  after(async () => {
    await Promise.all([sidecar?.stop(), gateway?.stop()]);
    await control?.stop();
    await Promise.all([...backends.map((b) => b.close()), web?.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const viaEgress = (): Promise<{ greeting: string; echoed: string }> => exchange(() => net.connect(ports.egress, '127.0.0.1'), 'ping over tcp');

  it('(a) the sidecar egress TCP listener forwards raw TCP; a tcp weighted split 100/0 → 0/100 moves new connections', async () => {
    for (let i = 0; i < 5; i++) assert.deepEqual(await viaEgress(), { greeting: 'echo-a', echoed: 'ping over tcp' });
    const applied = await applyYaml(control, tcpVs(0, 100), 'all TCP to b');
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor(async () => (await viaEgress()).greeting === 'echo-b', 10_000, 'new connections to reach echo-b');
    for (let i = 0; i < 5; i++) assert.deepEqual(await viaEgress(), { greeting: 'echo-b', echoed: 'ping over tcp' });
  });

  it('(b) the gateway TLS PASSTHROUGH server routes by SNI; each backend terminates TLS with its own certificate', async () => {
    for (const [sni, name] of [['a.example.com', 'tls-a'], ['b.example.com', 'tls-b'], ['a.example.com', 'tls-a']] as const) {
      let peerCn: unknown;
      const r = await exchange(() => {
        const s = tls.connect({ host: '127.0.0.1', port: ports.passthrough, servername: sni, ca: pki.caCert });
        s.once('secureConnect', () => (peerCn = s.getPeerCertificate().subject.CN));
        return s;
      }, `hello ${sni}`, 'secureConnect');
      assert.equal(r.greeting, name, `SNI ${sni}`);
      assert.equal(r.echoed, `hello ${sni}`);
      assert.equal(peerCn, sni, 'the certificate is the backend\'s: the gateway did not terminate');
    }
    // a name no tls rule routes is not forwarded anywhere
    await assert.rejects(exchange(() => tls.connect({ host: '127.0.0.1', port: ports.passthrough, servername: 'c.example.com', rejectUnauthorized: false }), 'x', 'secureConnect'));
  });

  it('(c) the gateway HTTPS SIMPLE server terminates TLS with file certificates and routes HTTP by VirtualService', async () => {
    const get = (p: string): Promise<{ status: number; body: string; upstream: unknown; cn: unknown }> =>
      new Promise((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: ports.https, path: p, servername: 'server.example.com', ca: pki.caCert, headers: { host: 'server.example.com' }, agent: false },
          (res) => {
            const cn = (res.socket as tls.TLSSocket).getPeerCertificate().subject.CN;
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, upstream: res.headers['x-upstream'], cn }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const ok = await get('/web/items');
    assert.deepEqual(ok, { status: 200, body: 'web GET /web/items 0', upstream: 'web', cn: 'server' });
    assert.equal(web.requests.at(-1)?.headers['x-forwarded-proto'], 'https');
    const miss = await get('/other');
    assert.equal(miss.status, 404, 'no route for /other');
  });
});
