// E2E: mTLS between real sidecars of a real `trellis control` — auto-mTLS (the server's app sees the client's SPIFFE id
// in x-forwarded-client-cert), Istio's "Mutual TLS Migration" task YAML as written (STRICT in a namespace, then mesh-wide:
// a client without a sidecar — plain HTTP straight to the inbound port — is refused, sidecars keep working), PERMISSIVE
// serving both, a workload policy with portLevelMtls on the app's port, DISABLE (namespace or DestinationRule), and TCP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startUpstream, tcpExchange, tcpGreeter, waitFor, type Upstream } from './harness.js';
import { applyYaml, cli, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';
import { freePort } from '../../src/common/free-port.js';

const TD = 'cluster.local';
const spiffe = (ns: string, sa: string): string => `spiffe://${TD}/ns/${ns}/sa/${sa}`;

interface Outcome {
  /** HTTP status, or 0 when the connection failed (curl's 000, exit 56). */
  status: number;
  xfcc?: string;
}

/** An HTTP request to `port` with Host `host`; resolves {status: 0} on a connection error, as curl prints 000. */
function call(port: number, host: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/headers', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        let xfcc: string | undefined;
        try {
          xfcc = (JSON.parse(body) as { xfcc?: string }).xfcc;
        } catch {
          xfcc = undefined;
        }
        resolve({ status: res.statusCode ?? 0, ...(xfcc !== undefined ? { xfcc } : {}) });
      });
      res.on('error', () => resolve({ status: 0 }));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve({ status: 0 }));
    req.end();
  });
}

/** httpbin-like app: answers its headers' x-forwarded-client-cert (what a sidecar told it about the caller). */
function httpbinApp(name: string): Promise<Upstream> {
  return startUpstream(name, (req, res) => {
    req.resume();
    req.on('end', () => res.end(JSON.stringify({ app: name, ...(req.headers['x-forwarded-client-cert'] !== undefined ? { xfcc: req.headers['x-forwarded-client-cert'] } : {}) })));
  });
}


/** Istio's httpbin Service: port 8000 in front of the workload port. */
const httpbinService = (ns: string, targetPort: number): string => `
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: ${ns}, labels: {app: httpbin, service: httpbin}}
spec:
  ports: [{name: http, port: 8000, targetPort: ${targetPort}}]
  selector: {app: httpbin}
`;

// Istio's "Mutual TLS Migration" task, as written there
const STRICT_FOO = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "foo"
spec:
  mtls:
    mode: STRICT
`;
const STRICT_MESH = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "istio-system"
spec:
  mtls:
    mode: STRICT
`;

describe('mesh mTLS: auto-mTLS, PeerAuthentication STRICT / PERMISSIVE / DISABLE (real sidecars)', { timeout: 180_000 }, () => {
  let control: Control;
  const sidecars: Sidecar[] = [];
  const apps: Upstream[] = [];
  let db: { port: number; close(): Promise<void> };
  const s: Record<string, Sidecar> = {};
  let dbEgress = 0;

  /** Through a client sidecar (curl.foo / curl.bar) to httpbin.<to>:8000. */
  const viaSidecar = (from: 'foo' | 'bar', to: 'foo' | 'bar'): Promise<Outcome> => call(s[`curl.${from}`]!.outboundPort, `httpbin.${to}:8000`);
  /** A client without a sidecar ("legacy"): plain HTTP straight to the server sidecar's inbound port. */
  const legacy = (to: 'foo' | 'bar'): Promise<Outcome> => call(s[`httpbin.${to}`]!.inboundPort!, `httpbin.${to}:8000`);
  const until = (what: string, check: () => Promise<boolean>): Promise<boolean> => waitFor(check, 10_000, what, 100);
  const remove = async (...args: string[]): Promise<void> => {
    const r = await cli(control, ['delete', ...args]);
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    control = await startControl();
    const [foo, bar] = [await httpbinApp('httpbin.foo'), await httpbinApp('httpbin.bar')];
    apps.push(foo, bar);
    db = await tcpGreeter('db');
    dbEgress = await freePort();
    const applied = await applyYaml(
      control,
      [
        httpbinService('foo', foo.port),
        httpbinService('bar', bar.port),
        `apiVersion: v1
kind: Service
metadata: {name: db, namespace: foo}
spec:
  ports: [{name: tcp, port: 5432}]
  selector: {app: db}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: db-client, namespace: foo}
spec:
  workloadSelector: {labels: {app: db-client}}
  egress:
  - port: {number: ${dbEgress}, protocol: TCP, name: tcp-db}
    hosts: ["./db.foo.svc.cluster.local"]
`,
      ].join('---\n'),
    );
    assert.equal(applied.code, 0, applied.stderr);
    const start = async (key: string, opts: Parameters<typeof startSidecar>[1]): Promise<void> => {
      const sc = await startSidecar(control, opts);
      sidecars.push(sc);
      s[key] = sc;
    };
    await start('httpbin.foo', { service: 'httpbin', namespace: 'foo', labels: 'app=httpbin', servicePort: 8000, appPort: foo.port, serviceAccount: 'httpbin' });
    await start('httpbin.bar', { service: 'httpbin', namespace: 'bar', labels: 'app=httpbin', servicePort: 8000, appPort: bar.port, serviceAccount: 'httpbin' });
    await start('curl.foo', { service: 'curl', namespace: 'foo', labels: 'app=curl', servicePort: 80, serviceAccount: 'curl' });
    await start('curl.bar', { service: 'curl', namespace: 'bar', labels: 'app=curl', servicePort: 80, serviceAccount: 'curl' });
    await start('db', { service: 'db', namespace: 'foo', labels: 'app=db', servicePort: 5432, appPort: db.port, serviceAccount: 'db' });
    await start('db-client', { service: 'db-client', namespace: 'foo', labels: 'app=db-client', servicePort: 81, serviceAccount: 'db-client' });
    await until('every path answers', async () => {
      const all = await Promise.all([viaSidecar('foo', 'foo'), viaSidecar('foo', 'bar'), viaSidecar('bar', 'foo'), viaSidecar('bar', 'bar'), legacy('foo'), legacy('bar')]);
      return all.every((o) => o.status === 200);
    });
  });

  after(async () => {
    for (const sc of sidecars) await sc.stop();
    await control?.stop();
    for (const a of apps) await a.close();
    await db?.close();
  });

  it('auto-mTLS: with no policy or DestinationRule, sidecars talk mTLS; the app sees both SPIFFE ids (x-forwarded-client-cert)', async () => {
    const o = await viaSidecar('bar', 'foo');
    assert.equal(o.status, 200);
    assert.match(o.xfcc ?? '', new RegExp(`^By=${spiffe('foo', 'httpbin')};Hash=[0-9a-f]{64};Subject="";URI=${spiffe('bar', 'curl')}$`));
    // PERMISSIVE (the default) also serves a client without a sidecar, in plaintext: nobody vouched for it
    const l = await legacy('foo');
    assert.equal(l.status, 200);
    assert.equal(l.xfcc, undefined);
  });

  it('auto-mTLS over TCP too: tcp_proxy takes the workload certificate and mesh roots over SDS', async () => {
    const applied = await applyYaml(control, STRICT_FOO);
    assert.equal(applied.code, 0, applied.stderr);
    try {
      // plaintext straight to the inbound port gets nothing from the app once STRICT is in place (a TLS alert at most)
      await until('plaintext refused by db', async () => !(await tcpExchange(s.db!.inboundPort!, 'ping\n')).includes('db'));
      assert.equal(await tcpExchange(dbEgress, 'ping\n'), 'db\nping\n', 'through the client sidecar: mTLS');
    } finally {
      await remove('pa', 'default', '-n', 'foo');
    }
  });

  it('migration task, step 1 (STRICT in foo): the legacy client is refused by httpbin.foo only; sidecars still reach both', async () => {
    const applied = await applyYaml(control, STRICT_FOO);
    assert.equal(applied.code, 0, applied.stderr);
    await until('legacy refused by httpbin.foo', async () => (await legacy('foo')).status === 0);
    assert.equal((await legacy('bar')).status, 200);
    for (const [from, to] of [['foo', 'foo'], ['foo', 'bar'], ['bar', 'foo'], ['bar', 'bar']] as const) assert.equal((await viaSidecar(from, to)).status, 200, `curl.${from} → httpbin.${to}`);
  });

  it('migration task, step 2 (STRICT mesh-wide in istio-system): the legacy client is refused everywhere; sidecars still reach both', async () => {
    const applied = await applyYaml(control, STRICT_MESH);
    assert.equal(applied.code, 0, applied.stderr);
    await until('legacy refused by httpbin.bar', async () => (await legacy('bar')).status === 0);
    assert.equal((await legacy('foo')).status, 0);
    for (const [from, to] of [['foo', 'foo'], ['foo', 'bar'], ['bar', 'foo'], ['bar', 'bar']] as const) assert.equal((await viaSidecar(from, to)).status, 200, `curl.${from} → httpbin.${to}`);
    await remove('pa', 'default', '-n', 'foo');
    await remove('pa', 'default', '-n', 'istio-system');
    await until('PERMISSIVE again', async () => (await legacy('foo')).status === 200 && (await legacy('bar')).status === 200);
  });

  it("a workload policy with portLevelMtls on the app's port: DISABLE there lets the legacy client in; sidecars send it plaintext", async () => {
    // the authentication policy task's YAML, with the port the app listens on (the task's container port 8080)
    const policy = (portLevel: string): string => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "httpbin"
  namespace: "bar"
spec:
  selector:
    matchLabels:
      app: httpbin
  mtls:
    mode: STRICT
${portLevel}`;
    let applied = await applyYaml(control, policy(''));
    assert.equal(applied.code, 0, applied.stderr);
    await until('legacy refused by httpbin.bar', async () => (await legacy('bar')).status === 0);
    assert.equal((await legacy('foo')).status, 200, 'a workload policy of bar does not touch foo');
    assert.match((await viaSidecar('foo', 'bar')).xfcc ?? '', /URI=spiffe/);
    applied = await applyYaml(control, policy(`  portLevelMtls:\n    ${apps[1]!.port}:\n      mode: DISABLE\n`));
    assert.equal(applied.code, 0, applied.stderr);
    await until('legacy back in', async () => (await legacy('bar')).status === 200);
    // the endpoint now advertises no tlsMode: auto-mTLS clients send plaintext (as Istio's EDS does)
    await until('sidecar client in plaintext', async () => {
      const o = await viaSidecar('foo', 'bar');
      return o.status === 200 && o.xfcc === undefined;
    });
    await remove('pa', 'httpbin', '-n', 'bar');
  });

  it('DISABLE in a namespace turns auto-mTLS off for its services; a DestinationRule tls DISABLE does it per host', async () => {
    let applied = await applyYaml(control, 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: bar}\nspec: {mtls: {mode: DISABLE}}\n');
    assert.equal(applied.code, 0, applied.stderr);
    await until('plaintext to httpbin.bar', async () => {
      const o = await viaSidecar('foo', 'bar');
      return o.status === 200 && o.xfcc === undefined;
    });
    assert.equal((await legacy('bar')).status, 200);
    assert.match((await viaSidecar('foo', 'foo')).xfcc ?? '', /URI=spiffe/, 'foo keeps mTLS');
    await remove('pa', 'default', '-n', 'bar');
    applied = await applyYaml(control, 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: httpbin, namespace: foo}\nspec: {host: httpbin.foo.svc.cluster.local, trafficPolicy: {tls: {mode: DISABLE}}}\n');
    assert.equal(applied.code, 0, applied.stderr);
    await until('plaintext to httpbin.foo', async () => {
      const o = await viaSidecar('bar', 'foo');
      return o.status === 200 && o.xfcc === undefined;
    });
    assert.match((await viaSidecar('bar', 'bar')).xfcc ?? '', /URI=spiffe/, 'bar is mTLS again');
    await remove('dr', 'httpbin', '-n', 'foo');
  });

  it('DestinationRule ISTIO_MUTUAL with a subjectAltNames the server does not have: the client refuses the server (503)', async () => {
    const applied = await applyYaml(
      control,
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: httpbin, namespace: bar}\nspec: {host: httpbin.bar.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL, subjectAltNames: ["spiffe://cluster.local/ns/bar/sa/someone-else"]}}}\n',
    );
    assert.equal(applied.code, 0, applied.stderr);
    await until('impostor refused', async () => (await viaSidecar('foo', 'bar')).status === 503);
    await remove('dr', 'httpbin', '-n', 'bar');
    await until('the right identity is accepted again', async () => (await viaSidecar('foo', 'bar')).status === 200);
  });
});
