// E2E: jwt_authn in a real proxy — one cached JWKS fetch through a cluster, payload forwarded, Envoy's 401/403s, per-route disable.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { adminGet, httpBootstrap, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';

const ISSUER = 'https://idp.example';
let signing: CryptoKey;
let stranger: CryptoKey; // not in the JWKS, but claims the same kid
let app: Upstream;
let idp: Upstream;
let jwksGets = 0;
let proxy: RunningProxy;
let port: number;

const FILTER = 'envoy.filters.http.jwt_authn';
const TYPE = 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.';

function token(key: CryptoKey, claims: JWTPayload = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: 'bookstore', sub: 'alice', exp: now + 600, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key);
}

before(async () => {
  const pair = await generateKeyPair('ES256');
  signing = pair.privateKey;
  stranger = (await generateKeyPair('ES256')).privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
  idp = await startUpstream('idp', (req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.statusCode = 404;
      return void res.end();
    }
    jwksGets++;
    // slow enough that the concurrent first requests all find the fetch under way
    setTimeout(() => res.setHeader('content-type', 'application/json').end(jwks), 150);
  });
  app = await startUpstream('app');
  const bootstrap = httpBootstrap({
    clusters: [staticCluster('app', [app.port]), staticCluster('idp_jwks', [idp.port])],
    routeConfig: {
      name: 'local',
      virtual_hosts: [
        {
          name: 'bookstore',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/open' },
              route: { cluster: 'app' },
              typed_per_filter_config: { [FILTER]: { '@type': `${TYPE}PerRouteConfig`, disabled: true } },
            },
            { match: { prefix: '/' }, route: { cluster: 'app' } },
          ],
        },
      ],
    },
    httpFilters: [
      {
        name: FILTER,
        typed_config: {
          '@type': `${TYPE}JwtAuthentication`,
          providers: {
            idp: {
              issuer: ISSUER,
              audiences: ['bookstore'],
              remote_jwks: {
                http_uri: { uri: 'http://idp.example/.well-known/jwks.json', cluster: 'idp_jwks', timeout: '2s' },
                cache_duration: { seconds: 300 },
              },
              forward_payload_header: 'x-jwt-payload',
            },
          },
          rules: [{ match: { prefix: '/healthz' } }, { match: { prefix: '/' }, requires: { provider_name: 'idp' } }],
        },
      },
      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
    ],
  });
  proxy = await startProxy(bootstrap);
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  await app?.close();
  await idp?.close();
});

function lastAppRequest(): { url: string | undefined; headers: Record<string, string | string[] | undefined> } {
  const r = app.requests[app.requests.length - 1]!;
  return { url: r.url, headers: r.headers };
}

test('jwt_authn e2e: concurrent first requests share one JWKS fetch; the payload reaches the backend, the token does not', async () => {
  const good = await token(signing);
  const replies = await Promise.all(Array.from({ length: 5 }, () => request(port, { path: '/books', headers: { authorization: `Bearer ${good}` } })));
  for (const r of replies) assert.equal(r.status, 200, r.body);
  assert.equal(jwksGets, 1);
  const seen = lastAppRequest();
  assert.equal(seen.headers.authorization, undefined);
  const payload = JSON.parse(Buffer.from(String(seen.headers['x-jwt-payload']), 'base64url').toString()) as JWTPayload;
  assert.deepEqual([payload.iss, payload.sub, payload.aud], [ISSUER, 'alice', 'bookstore']);
  // later requests are verified with the cached key set
  const again = await request(port, { path: '/books/1', headers: { authorization: `Bearer ${await token(signing, { sub: 'bob' })}` } });
  assert.equal(again.status, 200);
  assert.equal(jwksGets, 1);
});

test('jwt_authn e2e: missing, forged, expired and wrong-audience tokens are refused before the backend', async () => {
  const before = app.requests.length;
  const missing = await request(port, { path: '/books?x=1', host: 'shop.example' });
  assert.equal(missing.status, 401);
  assert.equal(missing.body, 'Jwt is missing');
  assert.equal(missing.headers['www-authenticate'], 'Bearer realm="http://shop.example/books?x=1"');

  const forged = await request(port, { path: '/books', headers: { authorization: `Bearer ${await token(stranger)}` } });
  assert.equal(forged.status, 401);
  assert.equal(forged.body, 'Jwt verification fails');
  assert.equal(forged.headers['www-authenticate'], 'Bearer realm="http://example.com/books", error="invalid_token"');

  const expired = await request(port, { path: '/books', headers: { authorization: `Bearer ${await token(signing, { exp: Math.floor(Date.now() / 1000) - 3600 })}` } });
  assert.equal(expired.status, 401);
  assert.equal(expired.body, 'Jwt is expired');

  const aud = await request(port, { path: '/books', headers: { authorization: `Bearer ${await token(signing, { aud: 'elsewhere' })}` } });
  assert.equal(aud.status, 403);
  assert.equal(aud.body, 'Audiences in Jwt are not allowed');

  const spoofed = await request(port, { path: '/books', headers: { 'x-jwt-payload': 'forged' } });
  assert.equal(spoofed.status, 401);
  assert.equal(app.requests.length, before);
  assert.equal(jwksGets, 1);
});

test('jwt_authn e2e: a rule without requirements and a route with the filter disabled need no token; a spoofed payload header is dropped', async () => {
  const open = await request(port, { path: '/open/catalog', headers: { 'x-jwt-payload': 'forged' } });
  assert.equal(open.status, 200);
  assert.equal(lastAppRequest().url, '/open/catalog');
  assert.equal(lastAppRequest().headers['x-jwt-payload'], 'forged', 'per-route disabled: nothing is verified or sanitized, as in Envoy');
  const health = await request(port, { path: '/healthz', headers: { 'x-jwt-payload': 'forged' } });
  assert.equal(health.status, 200);
  // verified requests carry only the payload the filter wrote
  const ok = await request(port, { path: '/books', headers: { authorization: `Bearer ${await token(signing)}`, 'x-jwt-payload': 'forged' } });
  assert.equal(ok.status, 200);
  assert.notEqual(lastAppRequest().headers['x-jwt-payload'], 'forged');
});

test('jwt_authn e2e: stats under http.<stat_prefix>.jwt_authn', async () => {
  const stats = (await adminGet(proxy.adminPort, '/stats?filter=jwt_authn')).body;
  const value = (name: string): number => Number(new RegExp(`^http\\.ingress_http\\.jwt_authn\\.${name}: (\\d+)$`, 'm').exec(stats)?.[1] ?? NaN);
  assert.equal(value('jwks_fetch_success'), 1, stats);
  assert.equal(value('jwks_fetch_failed'), 0);
  assert.ok(value('allowed') >= 8, stats);
  assert.equal(value('denied'), 5);
});
