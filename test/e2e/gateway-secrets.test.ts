// E2E: Gateway credentialName with Kubernetes Secrets through a real `trellis control`, a `trellis gateway` in istio-system and an httpbin
// behind a sidecar — Istio's "Secure Gateways" task YAML as written (SIMPLE, then MUTUAL; own certificates, a free port for 443):
// HTTPS with the right certificate, rotation by updating the Secret (new connections get the new certificate, an open keep-alive
// connection keeps working), a Secret of another namespace is not served (handshakes fail closed), and `trellis get secret`
// shows no key material unless asked with --show-secrets and the admin token (401 without). Also: the task's two hosts on one
// port, and an ISTIO_MUTUAL server that admits only clients with a mesh certificate.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import type { TestCert } from '../fixtures/certs.js';
import { assertNoMaterial, tempPki, tlsSecretYaml } from '../fixtures/secrets.js';
import type { TestPki } from '../fixtures/certs.js';
import { createCsr } from '../../src/common/pki/csr.js';
import { requestCertificate } from '../../src/proxy/identity/ca-client.js';
import { CLI, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, cli, listenerUp, startControl, startGateway, startSidecar, type Control, type Gateway, type Sidecar } from './mesh-harness.js';
import { freePort } from '../../src/common/free-port.js';


/** Istio's Secure Gateways task: the Gateway (SIMPLE or MUTUAL) and the httpbin VirtualService, as written but for the port. */
function secureGatewayTask(port: number, mode: 'SIMPLE' | 'MUTUAL'): string {
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: ${port}
      name: https
      protocol: HTTPS
    tls:
      mode: ${mode}
      credentialName: httpbin-credential # must be the same as secret
    hosts:
    - httpbin.example.com
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "httpbin.example.com"
  gateways:
  - mygateway
  http:
  - match:
    - uri:
        prefix: /status
    - uri:
        prefix: /delay
    route:
    - destination:
        port:
          number: 8000
        host: httpbin
`;
}

/** The task's gateway for two hosts on one port, each with its own credential, and helloworld's VirtualService (as written but for the port). */
function multipleHostsTask(port: number): string {
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: ${port}
      name: https-httpbin
      protocol: HTTPS
    tls:
      mode: SIMPLE
      credentialName: httpbin-credential
    hosts:
    - httpbin.example.com
  - port:
      number: ${port}
      name: https-helloworld
      protocol: HTTPS
    tls:
      mode: SIMPLE
      credentialName: helloworld-credential
    hosts:
    - helloworld.example.com
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts:
  - helloworld.example.com
  gateways:
  - mygateway
  http:
  - match:
    - uri:
        exact: /hello
    route:
    - destination:
        host: helloworld
        port:
          number: 5000
`;
}

/** samples/helloworld's Service (port 5000). */
const HELLOWORLD_SERVICE = `
apiVersion: v1
kind: Service
metadata:
  name: helloworld
  labels: {app: helloworld, service: helloworld}
spec:
  ports:
  - port: 5000
    name: http
  selector:
    app: helloworld
`;

/** samples/httpbin's Service (port 8000), the workload being a sidecar in front of a local upstream. */
const HTTPBIN_SERVICE = `
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  labels: {app: httpbin, service: httpbin}
spec:
  ports:
  - name: http
    port: 8000
    targetPort: 8080
  selector:
    app: httpbin
`;

interface Answer {
  status: number;
  body: string;
  fingerprint: string;
  cn: unknown;
  reused: boolean;
}

function get(port: number, p: string, opts: { ca: string; agent?: https.Agent; cert?: TestCert; servername?: string; checkServerIdentity?: tls.ConnectionOptions['checkServerIdentity'] }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const host = opts.servername ?? 'httpbin.example.com';
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        servername: host,
        ca: opts.ca,
        headers: { host },
        agent: opts.agent ?? false,
        ...(opts.cert !== undefined ? { cert: opts.cert.cert, key: opts.cert.key } : {}),
        ...(opts.checkServerIdentity !== undefined ? { checkServerIdentity: opts.checkServerIdentity } : {}),
        timeout: 3000,
      },
      (res) => {
        const peer = (res.socket as tls.TLSSocket).getPeerCertificate();
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint: peer.fingerprint256, cn: peer.subject.CN, reused: req.reusedSocket }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Keeps asking until `ok(answer)`; handshake failures while the secret travels count as "not yet". */
function until(port: number, what: string, opts: Parameters<typeof get>[2] & { path?: string }, ok: (a: Answer) => boolean, ms = 15_000): Promise<Answer> {
  return waitFor(
    async () => {
      try {
        const a = await get(port, opts.path ?? '/status/200', opts);
        return ok(a) ? a : undefined;
      } catch {
        return undefined;
      }
    },
    ms,
    what,
  ).then((a) => a!);
}

/** `trellis ARGS` with no admin token anywhere: no TRELLIS_TOKEN, and a working directory without ./.trellis/admin-token. */
function cliWithoutToken(control: Control, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-notoken-'));
  const env = { ...process.env };
  delete env.TRELLIS_TOKEN;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args, '--server', control.url], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

describe('gateway credentialName: Secrets served over SDS (Istio Secure Gateways task)', () => {
  let pki: TestPki & { cleanup(): void };
  let first: TestCert;
  let rotated: TestCert;
  let control: Control;
  let httpbin: Upstream;
  let helloworld: Upstream;
  let sidecar: Sidecar;
  let helloSidecar: Sidecar;
  let hello: TestCert;
  let meshPort = 0;
  let gateway: Gateway;
  let port = 0;
  let otherPort = 0;
  let material: Record<string, string>;

  before(async () => {
    pki = tempPki();
    first = pki.issue('httpbin', 'httpbin.example.com', 'DNS:httpbin.example.com');
    rotated = pki.issue('httpbin-2', 'httpbin.example.com rotated', 'DNS:httpbin.example.com');
    hello = pki.issue('helloworld', 'helloworld.example.com', 'DNS:helloworld.example.com');
    material = { 'first key': first.key, 'rotated key': rotated.key, 'client key': pki.clientKey };
    [port, otherPort, meshPort] = await Promise.all([freePort(), freePort(), freePort()]);
    control = await startControl();
    [httpbin, helloworld] = await Promise.all([startUpstream('httpbin'), startUpstream('helloworld')]);
    // kubectl create -n istio-system secret tls httpbin-credential --key=httpbin.example.com.key --cert=httpbin.example.com.crt
    const secret = tlsSecretYaml('httpbin-credential', 'istio-system', { cert: first.cert, key: first.key });
    // a credential the gateway may not read: it lives in another namespace than the gateway's
    const elsewhere = tlsSecretYaml('other-credential', 'default', { cert: first.cert, key: first.key });
    const otherGateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: othergateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${otherPort}, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: other-credential}
    hosts: [other.example.com]
`;
    // a mesh-internal server: clients prove a mesh identity, the gateway serves its own (ISTIO_MUTUAL)
    const meshGateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: meshgateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${meshPort}, name: https-mesh, protocol: HTTPS}
    tls: {mode: ISTIO_MUTUAL}
    hosts: [httpbin.mesh.internal]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin-mesh}
spec:
  hosts: [httpbin.mesh.internal]
  gateways: [meshgateway]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
`;
    const applied = await applyYaml(control, [HTTPBIN_SERVICE, HELLOWORLD_SERVICE, secret, elsewhere, secureGatewayTask(port, 'SIMPLE'), otherGateway, meshGateway].join('---\n'), 'secure gateways task');
    assert.equal(applied.code, 0, applied.stderr);
    [sidecar, helloSidecar, gateway] = await Promise.all([
      startSidecar(control, { service: 'httpbin', labels: 'app=httpbin', servicePort: 8000, appPort: httpbin.port }),
      startSidecar(control, { service: 'helloworld', labels: 'app=helloworld', servicePort: 5000, appPort: helloworld.port }),
      startGateway(control, { labels: 'istio=ingressgateway', namespace: 'istio-system' }),
    ]);
    await Promise.all([listenerUp(gateway, `0.0.0.0_${port}`), listenerUp(gateway, `0.0.0.0_${otherPort}`), listenerUp(gateway, `0.0.0.0_${meshPort}`)]);
  });

  after(async () => {
    await Promise.all([sidecar?.stop(), helloSidecar?.stop(), gateway?.stop()]);
    await control?.stop();
    await Promise.all([httpbin?.close(), helloworld?.close()]);
    pki?.cleanup();
  });

  it('SIMPLE: curl-equivalent with the CA gets 200 and the certificate of the Secret', async () => {
    const a = await until(port, 'an HTTPS answer through the gateway', { ca: pki.caCert }, (x) => x.status === 200);
    assert.equal(a.fingerprint, fingerprint(first.cert));
    assert.equal(a.cn, 'httpbin.example.com');
    assert.equal(a.body, 'httpbin GET /status/200 0');
    assert.equal((await get(port, '/headers', { ca: pki.caCert })).status, 404, 'only /status and /delay are routed');
  });

  it('updating the Secret rotates the certificate for new connections; an open keep-alive connection keeps working', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(port, '/status/200', { ca: pki.caCert, agent });
    assert.equal(before.fingerprint, fingerprint(first.cert));
    const applied = await applyYaml(control, tlsSecretYaml('httpbin-credential', 'istio-system', { cert: rotated.cert, key: rotated.key }), 'rotate');
    assert.equal(applied.code, 0, applied.stderr);
    const fresh = await until(port, 'the rotated certificate on a new connection', { ca: pki.caCert }, (x) => x.fingerprint === fingerprint(rotated.cert));
    assert.equal(fresh.status, 200);
    const kept = await get(port, '/status/200', { ca: pki.caCert, agent });
    assert.equal(kept.reused, true, 'the same connection');
    assert.equal(kept.status, 200);
    assert.equal(kept.fingerprint, fingerprint(first.cert), 'opened before the rotation: keeps its certificate');
    agent.destroy();
  });

  it('multiple hosts on one port (the task, as written): each SNI name gets the certificate of its own Secret', async () => {
    const applied = await applyYaml(control, tlsSecretYaml('helloworld-credential', 'istio-system', { cert: hello.cert, key: hello.key }) + '---\n' + multipleHostsTask(port), 'multiple hosts');
    assert.equal(applied.code, 0, applied.stderr);
    const h = await until(port, 'helloworld.example.com over its own certificate', { ca: pki.caCert, servername: 'helloworld.example.com', path: '/hello' }, (x) => x.status === 200);
    assert.equal(h.fingerprint, fingerprint(hello.cert));
    assert.equal(h.body, 'helloworld GET /hello 0');
    const b = await get(port, '/status/418', { ca: pki.caCert });
    assert.equal(b.fingerprint, fingerprint(rotated.cert));
    assert.equal(b.body, 'httpbin GET /status/418 0');
  });

  it('ISTIO_MUTUAL: the gateway serves its workload certificate (SPIFFE) and admits only clients with a mesh certificate', async () => {
    const rootsPem = ((await (await fetch(`${control.url}/api/v1/ca/root`)).json()) as { rootsPem: string }).rootsPem;
    const tokenRes = await fetch(`${control.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${control.token()}`, 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'default', serviceAccount: 'curl' }) });
    const token = ((await tokenRes.json()) as { token: string }).token;
    const { keyPem, csrPem } = await createCsr();
    const chain = await requestCertificate(`127.0.0.1:${control.xdsTlsPort}`, { ca: rootsPem, token }, csrPem, 3600);
    const svid: TestCert = { certPath: '', keyPath: '', cert: chain.join('\n'), key: keyPem };
    let peerId = '';
    const spiffe = (_host: string, cert: tls.PeerCertificate): Error | undefined => {
      peerId = cert.subjectaltname ?? '';
      return peerId === 'URI:spiffe://cluster.local/ns/istio-system/sa/default' ? undefined : new Error(`unexpected gateway identity ${peerId}`);
    };
    const opts = { ca: rootsPem, servername: 'httpbin.mesh.internal', checkServerIdentity: spiffe };
    const ok = await until(meshPort, 'an ISTIO_MUTUAL answer', { ...opts, cert: svid }, (x) => x.status === 200).catch((e: Error) => {
      throw new Error(`${e.message}\ngateway output:\n${gateway.output().slice(-4000)}`);
    });
    assert.equal(ok.body, 'httpbin GET /status/200 0');
    assert.equal(peerId, 'URI:spiffe://cluster.local/ns/istio-system/sa/default');
    await assert.rejects(get(meshPort, '/status/200', opts), 'no client certificate');
    await assert.rejects(get(meshPort, '/status/200', { ...opts, cert: { certPath: '', keyPath: '', cert: pki.clientCert, key: pki.clientKey } }), 'a certificate from outside the mesh');
  });

  it('a Secret in another namespace than the gateway is not served: its server refuses every handshake', async () => {
    await assert.rejects(get(otherPort, '/status/200', { ca: pki.caCert, servername: 'other.example.com' }));
    const dump = await (await fetch(`http://127.0.0.1:${gateway.adminPort}/config_dump`)).text();
    const configs = (JSON.parse(dump) as { configs: { '@type': string; dynamic_active_secrets?: { name: string }[] }[] }).configs;
    const held = configs.find((c) => c['@type'].endsWith('SecretsConfigDump'))?.dynamic_active_secrets?.map((x) => x.name);
    // the gateway asked for other-credential too: only its own namespace's credentials answered
    assert.ok(held?.includes('kubernetes://httpbin-credential'), String(held));
    assert.ok(!held?.includes('kubernetes://other-credential'), String(held));
    assert.match(dump, /"private_key": "\[redacted\]"/);
    assertNoMaterial(dump, material, 'gateway config_dump');
  });

  it('trellis get secret shows no key material; --show-secrets with the admin token does; without a token it is 401', async () => {
    const plain = await cli(control, ['get', 'secret', 'httpbin-credential', '-n', 'istio-system', '-o', 'yaml']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /tls\.key: <redacted>/);
    assertNoMaterial(plain.stdout, material, 'get -o yaml');
    const listed = await cli(control, ['get', 'secrets', '-A', '-o', 'json']);
    assertNoMaterial(listed.stdout, material, 'get -A -o json');
    const table = await cli(control, ['get', 'secrets', '-n', 'istio-system']);
    assert.match(table.stdout, /^httpbin-credential\s+kubernetes\.io\/tls\s+2\s+/m);

    const shown = await cli(control, ['get', 'secret', 'httpbin-credential', '-n', 'istio-system', '-o', 'yaml', '--show-secrets']);
    assert.equal(shown.code, 0, shown.stderr);
    const key = /tls\.key: (\S+)/.exec(shown.stdout)?.[1] ?? '';
    assert.equal(Buffer.from(key, 'base64').toString().trim(), rotated.key.trim());

    const denied = await cliWithoutToken(control, ['get', 'secret', 'httpbin-credential', '-n', 'istio-system', '-o', 'yaml', '--show-secrets']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /401|admin credential/);
    assert.match(denied.stderr, /no admin token was sent/);
    assertNoMaterial(denied.stdout + denied.stderr, material, 'the refused --show-secrets');
    const history = await cli(control, ['diff', '1']);
    assert.match(history.stdout, /<redacted> \(changed\)/);
    assertNoMaterial(history.stdout, material, 'diff');
  });

  it('MUTUAL (the task, as written): a client without a certificate is refused, one signed by the CA in the Secret gets 200', async () => {
    // kubectl create -n istio-system secret generic httpbin-credential --from-file=tls.key=… --from-file=tls.crt=… --from-file=ca.crt=…
    const generic = `apiVersion: v1
kind: Secret
metadata: {name: httpbin-credential, namespace: istio-system}
type: Opaque
data:
  tls.key: ${Buffer.from(first.key).toString('base64')}
  tls.crt: ${Buffer.from(first.cert).toString('base64')}
  ca.crt: ${Buffer.from(pki.caCert).toString('base64')}
`;
    const applied = await applyYaml(control, generic + '---\n' + secureGatewayTask(port, 'MUTUAL'), 'mutual');
    assert.equal(applied.code, 0, applied.stderr);
    const ok = await until(port, 'mutual TLS with the client certificate', { ca: pki.caCert, cert: { certPath: '', keyPath: '', cert: pki.clientCert, key: pki.clientKey } }, (x) => x.status === 200 && x.fingerprint === fingerprint(first.cert));
    assert.equal(ok.body, 'httpbin GET /status/200 0');
    await waitFor(
      async () => {
        try {
          await get(port, '/status/200', { ca: pki.caCert });
          return false;
        } catch {
          return true;
        }
      },
      10_000,
      'a client without a certificate to be refused',
    );
    const stranger = pki.selfSigned('stranger', 'stranger', 'DNS:stranger.example.com');
    await assert.rejects(get(port, '/status/200', { ca: pki.caCert, cert: stranger }), 'a certificate from another CA is refused');
  });

  it('the control plane and the gateway never log key material', () => {
    assertNoMaterial(control.out(), material, 'control plane output');
    assertNoMaterial(gateway.output(), material, 'gateway output');
  });
});
