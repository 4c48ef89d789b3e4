// E2E (issue #8): Istio's authorization tasks through a real `trellis control --mesh-config` and real sidecars — HTTP (allow-nothing,
// GET-only viewer, DENY by header, gRPC PERMISSION_DENIED), principals and namespaces over auto-mTLS, TCP (ports, HTTP-only rules
// dropped), JWT (RequestAuthentication with a jwksUri the control plane fetches: forged, expired, alg none and wrong-issuer tokens
// refused with 401, wrong audience with 403; requestPrincipals and claims), CUSTOM with an ext_authz HTTP provider from the mesh
// config, and analyze saying why a policy fails closed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { request, startUpstream, waitFor, type Reply, type Upstream } from './harness.js';
import { applyYaml, cli, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

const ISSUER = 'testing@secure.istio.io';

/** A JWKS server on 127.0.0.1 for the control plane to fetch (as Istio's istiod fetches jwksUri). */
async function jwksServer(jwks: { keys: JWK[] }): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/jwks.json`,
    hits: () => hits,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Istio's sample ext-authz: allows a request whose x-ext-authz header says "allow", and says so upstream. */
async function extAuthzServer(): Promise<Upstream> {
  return startUpstream('ext-authz', (req, res) => {
    req.resume();
    const allowed = req.headers['x-ext-authz'] === 'allow';
    res.statusCode = allowed ? 200 : 403;
    res.setHeader('x-ext-authz-check-result', allowed ? 'allowed' : 'denied');
    res.end(allowed ? '' : 'denied by ext_authz');
  });
}

/** A TCP echo app that greets with its name. */
async function tcpEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

/** Sends a line on a new connection: 'echo' when it comes back, 'closed' when the connection is closed first. */
function tcpTry(port: number): Promise<'echo' | 'closed'> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('hello\n'));
    let data = '';
    const done = (v: 'echo' | 'closed'): void => {
      s.destroy();
      resolve(v);
    };
    s.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('hello')) done('echo');
    });
    s.on('close', () => done(data.includes('hello') ? 'echo' : 'closed'));
    s.on('error', () => done('closed'));
    s.setTimeout(3000, () => done('closed'));
  });
}

const SERVICES = `
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: default}
spec: {ports: [{name: http, port: 9080}], selector: {app: productpage}}
---
apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: foo}
spec: {ports: [{name: tcp, port: 9000}], selector: {app: tcp-echo}}
`;

describe('authorization and JWT through real sidecars', () => {
  let control: Control;
  let page: Sidecar;
  let tcp: Sidecar;
  let app: Upstream;
  let echo: { port: number; close: () => Promise<void> };
  let ext: Upstream;
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  let dir: string;
  let key: CryptoKey;
  let otherKey: CryptoKey;

  const pagePort = (): number => page.inboundPort!;
  const get = (p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> => request(pagePort(), { path: p, method, host: 'productpage:9080', headers });
  /** Polls until the request gets `status` (config pushes are asynchronous); returns the last reply. */
  const until = (status: number, make: () => Promise<Reply>, what: string): Promise<Reply> =>
    waitFor(async () => {
      const r = await make();
      return r.status === status ? r : undefined;
    }, 15_000, what) as Promise<Reply>;

  /** Deletes policies one by one (a delete naming a missing one would change nothing), so a failed test leaves none behind. */
  async function removeAll(names: string[], kind = 'authorizationpolicy', ns = 'default'): Promise<void> {
    for (const n of names) await cli(control, ['delete', kind, n, '-n', ns]);
  }

  async function token(claims: Record<string, unknown>, opts: { key?: CryptoKey; exp?: number; alg?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ groups: ['group1'], ...claims })
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: 'trellis-test' })
      .setIssuer((claims.iss as string | undefined) ?? ISSUER)
      .setSubject(ISSUER)
      .setAudience((claims.aud as string | undefined) ?? 'bookinfo')
      .setIssuedAt(now - 10)
      .setExpirationTime(opts.exp ?? now + 3600)
      .sign(opts.key ?? key);
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-authz-'));
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    jwks = await jwksServer({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'trellis-test', alg: 'RS256', use: 'sig' }] });
    ext = await extAuthzServer();
    const meshFile = path.join(dir, 'mesh.yaml');
    fs.writeFileSync(
      meshFile,
      `rootNamespace: istio-system
enableEnvoyAccessLogService: true
extensionProviders:
- name: sample-ext-authz-http
  envoyExtAuthzHttp:
    service: ext-authz.foo.svc.cluster.local
    port: 8000
    includeRequestHeadersInCheck: ["x-ext-authz"]
    headersToUpstreamOnAllow: ["x-ext-authz-check-result"]
`,
    );
    control = await startControl({ extraArgs: ['--mesh-config', meshFile] });
    app = await startUpstream('productpage');
    echo = await tcpEcho();
    const extService = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext-authz, namespace: foo}
spec:
  hosts: [ext-authz.foo.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8000, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${ext.port}}}]
`;
    const applied = await applyYaml(control, `${SERVICES}---${extService}`);
    assert.equal(applied.code, 0, applied.stderr);
    [page, tcp] = await Promise.all([
      startSidecar(control, { service: 'productpage', labels: 'app=productpage', servicePort: 9080, appPort: app.port }),
      startSidecar(control, { service: 'tcp-echo', namespace: 'foo', labels: 'app=tcp-echo', servicePort: 9000, appPort: echo.port }),
    ]);
  });

  after(async () => {
    await Promise.all([page?.stop(), tcp?.stop()]);
    await control?.stop();
    await Promise.all([app?.close(), echo?.close(), ext?.close(), jwks?.close()]);
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('mesh config: the ignored observability field was said at start-up', () => {
    assert.match(control.out(), /mesh config: enableEnvoyAccessLogService ignored \(observability only/);
  });

  it("HTTP task: allow-nothing denies with 403 RBAC: access denied; the viewer policy allows GET only; a DENY by header wins", async (t) => {
    t.after(() => removeAll(['allow-nothing', 'productpage-viewer', 'deny-beta']));
    assert.equal((await get('/productpage')).status, 200);
    const ap = await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: default}
spec: {}
`);
    assert.equal(ap.code, 0, ap.stderr + ap.stdout);
    const denied = await until(403, () => get('/productpage'), 'allow-nothing to apply');
    assert.equal(denied.body, 'RBAC: access denied');
    const grpcCall = await request(pagePort(), { path: '/reviews.Reviews/Get', method: 'POST', host: 'productpage:9080', headers: { 'content-type': 'application/grpc' }, body: Buffer.alloc(5) });
    assert.equal(grpcCall.headers['grpc-status'], '7', 'a gRPC caller gets PERMISSION_DENIED');
    await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: productpage-viewer, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  action: ALLOW
  rules: [{to: [{operation: {methods: ["GET"]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-beta, namespace: default}
spec:
  action: DENY
  rules: [{when: [{key: "request.headers[x-beta]", values: ["true"]}]}]
`);
    await until(200, () => get('/productpage'), 'the viewer policy');
    assert.equal((await get('/productpage', {}, 'POST')).status, 403);
    assert.equal((await get('/productpage', { 'x-beta': 'true' })).status, 403);
    const r = await cli(control, ['delete', 'authorizationpolicy', 'allow-nothing', 'productpage-viewer', 'deny-beta', '-n', 'default']);
    assert.equal(r.code, 0, r.stderr);
    await until(200, () => get('/productpage', {}, 'POST'), 'policies removed');
  });

  it('TCP task: ALLOW on port 9000 lets connections through; a rule needing HTTP is dropped, so nothing is allowed', async (t) => {
    t.after(() => cli(control, ['delete', 'authorizationpolicy', 'tcp-policy', '-n', 'foo']));
    assert.equal(await tcpTry(tcp.inboundPort!), 'echo');
    await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules: [{to: [{operation: {ports: ["9000", "9001"]}}]}]
`);
    // still allowed (the port matches); then the task's method rule, which TCP cannot evaluate
    assert.equal(await tcpTry(tcp.inboundPort!), 'echo');
    await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules: [{to: [{operation: {methods: ["GET"], ports: ["9000"]}}]}]
`);
    await waitFor(async () => (await tcpTry(tcp.inboundPort!)) === 'closed', 10_000, 'the HTTP-only ALLOW rule to deny TCP');
    await cli(control, ['delete', 'authorizationpolicy', 'tcp-policy', '-n', 'foo']);
    await waitFor(async () => (await tcpTry(tcp.inboundPort!)) === 'echo', 10_000, 'TCP allowed again');
  });

  it('JWT task: a valid token passes, a bad one is refused (401; 403 for another audience), none passes until a policy requires it', async (t) => {
    t.after(async () => {
      await cli(control, ['delete', 'authorizationpolicy', 'require-jwt', '-n', 'default']);
      await cli(control, ['delete', 'requestauthentication', 'jwt-example', '-n', 'default']);
    });
    await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt-example, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  jwtRules:
  - issuer: "${ISSUER}"
    jwksUri: "${jwks.url}"
    audiences: [bookinfo]
    outputClaimToHeaders: [{header: x-jwt-sub, claim: sub}]
`);
    const good = await token({});
    const forged = await token({}, { key: otherKey });
    await until(401, () => get('/headers', { authorization: `Bearer ${forged}` }), 'jwt_authn on the sidecar');
    await until(200, () => get('/headers', { authorization: `Bearer ${good}` }), 'the fetched JWKS to reach the sidecar');
    assert.ok(jwks.hits() >= 1, 'the control plane fetched the JWKS');
    const sub = app.requests.at(-1)!;
    assert.equal(sub.headers['x-jwt-sub'], ISSUER, 'outputClaimToHeaders');
    assert.equal(sub.headers.authorization, undefined, 'the token is not forwarded by default');
    assert.equal((await get('/headers')).status, 200, 'no token: passes on to authorization (nothing requires one yet)');
    const now = Math.floor(Date.now() / 1000);
    const noneToken = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISSUER, sub: ISSUER, aud: 'bookinfo', exp: now + 3600 })).toString('base64url')}.`;
    const bad: Record<string, string> = {
      forged,
      expired: await token({}, { exp: now - 120 }),
      'alg none': noneToken,
      'wrong issuer': await token({ iss: 'someone-else@example.com' }),
      'wrong audience': await token({ aud: 'other' }),
      garbage: 'not.a.jwt',
    };
    for (const [what, t] of Object.entries(bad)) {
      const r = await get('/headers', { authorization: `Bearer ${t}` });
      // Envoy (so Istio) answers a token for another audience with 403, every other bad token with 401
      assert.equal(r.status, what === 'wrong audience' ? 403 : 401, `${what}: ${r.status} ${r.body}`);
      assert.match(String(r.headers['www-authenticate']), /^Bearer realm=".*", error="invalid_token"$/, what);
    }
    await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  action: ALLOW
  rules:
  - from: [{source: {requestPrincipals: ["${ISSUER}/${ISSUER}"]}}]
    when: [{key: "request.auth.claims[groups]", values: ["group1"]}]
`);
    await until(403, () => get('/headers'), 'the policy requiring a principal');
    assert.equal((await get('/headers', { authorization: `Bearer ${good}` })).status, 200);
    assert.equal((await get('/headers', { authorization: `Bearer ${await token({ groups: ['group2'] })}` })).status, 403, 'claims[groups] must hold group1');
    await cli(control, ['delete', 'authorizationpolicy', 'require-jwt', '-n', 'default']);
    await cli(control, ['delete', 'requestauthentication', 'jwt-example', '-n', 'default']);
    await until(200, () => get('/headers', { authorization: `Bearer ${bad.forged!}` }), 'RequestAuthentication removed');
  });

  it('CUSTOM: ext_authz from the mesh config is asked only for the paths the policy selects', async (t) => {
    t.after(() => cli(control, ['delete', 'authorizationpolicy', 'ext-authz', '-n', 'default']));
    await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  action: CUSTOM
  provider: {name: sample-ext-authz-http}
  rules: [{to: [{operation: {paths: ["/headers"]}}]}]
`);
    const denied = await until(403, () => get('/headers', { 'x-ext-authz': 'deny' }), 'the CUSTOM policy');
    assert.equal(denied.body, 'denied by ext_authz');
    const checks = ext.requests.length;
    const ok = await get('/headers', { 'x-ext-authz': 'allow' });
    assert.equal(ok.status, 200);
    assert.equal(app.requests.at(-1)!.headers['x-ext-authz-check-result'], 'allowed', 'headersToUpstreamOnAllow');
    assert.equal((await get('/ip', { 'x-ext-authz': 'deny' })).status, 200, 'a path the policy does not select is not checked');
    assert.equal(ext.requests.length, checks + 1, 'one check for /headers, none for /ip');
    await cli(control, ['delete', 'authorizationpolicy', 'ext-authz', '-n', 'default']);
  });

  it('principals and namespaces from the peer certificate (needs auto-mTLS between sidecars)', async (t) => {
    const ps = await cli(control, ['proxy-status']);
    const id = ps.stdout.split('\n').find((l) => l.includes('productpage'))?.split(/\s+/)[0] ?? '';
    const listeners = (await cli(control, ['proxy-config', 'listener', id, '-o', 'json'])).stdout;
    const inbound = (JSON.parse(listeners) as { name: string }[]).find((l) => l.name === 'inbound');
    if (!JSON.stringify(inbound).includes('transport_socket')) {
      t.skip('the inbound listener terminates no TLS yet: auto-mTLS (helper "mtls") is not on this branch');
      return;
    }
    const [sleep, other] = await Promise.all([
      startSidecar(control, { service: 'sleep', labels: 'app=sleep', servicePort: 80, serviceAccount: 'sleep' }),
      startSidecar(control, { service: 'other', namespace: 'foo', labels: 'app=other', servicePort: 80, serviceAccount: 'other' }),
    ]);
    try {
      const via = (s: Sidecar, host: string): Promise<Reply> => request(s.outboundPort, { path: '/productpage', host });
      await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: from-sleep, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}, {source: {namespaces: ["foo"]}}], to: [{operation: {methods: ["GET"]}}]}]
`);
      await until(200, () => via(sleep, 'productpage:9080'), 'sleep allowed by principal');
      await until(200, () => via(other, 'productpage.default:9080'), 'foo allowed by namespace');
      await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: from-sleep, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]}]
`);
      await until(403, () => via(other, 'productpage.default:9080'), 'foo no longer allowed');
      assert.equal((await via(sleep, 'productpage:9080')).status, 200);
      assert.equal((await get('/productpage')).status, 403, 'plaintext straight to the inbound port has no principal');
    } finally {
      await cli(control, ['delete', 'authorizationpolicy', 'from-sleep', '-n', 'default']);
      await Promise.all([sleep.stop(), other.stop()]);
    }
  });

  it('a CUSTOM policy naming a provider the mesh config lacks fails closed, and analyze says why', async () => {
    await applyYaml(control, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: broken-custom, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  action: CUSTOM
  provider: {name: not-in-mesh-config}
  rules: [{to: [{operation: {paths: ["/admin"]}}]}]
`);
    await until(403, () => get('/anything'), 'the workload to fail closed');
    const a = await cli(control, ['analyze']);
    assert.match(a.stdout, /Error \[TRL0005\] \(AuthorizationPolicy default\/broken-custom\) cannot be translated \(provider "not-in-mesh-config" is not defined in the mesh config's extensionProviders\)/);
    await cli(control, ['delete', 'authorizationpolicy', 'broken-custom', '-n', 'default']);
    await until(200, () => get('/anything'), 'open again');
  });
});

describe('trellis control --mesh-config', () => {
  it('refuses to start on an invalid mesh config, naming file, field and reason', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-mesh-bad-'));
    const file = path.join(dir, 'mesh.yaml');
    fs.writeFileSync(file, 'trustDomain: example.org\noutboundTrafficPolicy: {mode: ALLOW_ANY}\n');
    try {
      await assert.rejects(startControl({ extraArgs: ['--mesh-config', file] }), (e: Error) => {
        assert.match(e.message, /control exited with 1/);
        assert.match(e.message, new RegExp(`MeshConfig ${file.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}: outboundTrafficPolicy\\.mode: ALLOW_ANY is not supported by trellis .*mesh\\.yaml:2\\)`));
        return true;
      });
      fs.writeFileSync(file, 'trustDomain: example.org\n');
      await assert.rejects(startControl({ extraArgs: ['--mesh-config', file, '--trust-domain', 'other.org'] }), /--trust-domain "other.org" disagrees with the mesh config's trustDomain "example.org"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
