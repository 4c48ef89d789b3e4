// E2E: envoy.filters.http.ext_authz through a real `trellis proxy` — an HTTP authorization service and a gRPC one
// (envoy.service.auth.v3.Authorization served by @grpc/grpc-js), allow / deny / service down, bodies, stats.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { includeDirs } from '../../src/xds/proto-files.js';
import { H2_UPSTREAM, ROUTER_FILTER, hcmListener, multiBootstrap, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream, adminStat } from './harness.js';

const EXT_AUTHZ = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';

interface SeenCheck {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
interface CheckRequest {
  attributes: {
    source: { address: { socket_address: { address: string; port_value: number } } };
    destination: { address: { socket_address: { address: string; port_value: number } } };
    request: { http: { method: string; path: string; host: string; headers: Record<string, string>; body: string; protocol: string } };
    context_extensions: Record<string, string>;
  };
}

let backend: Upstream;
let httpAuthz: http.Server;
let grpcAuthz: grpc.Server;
let proxy: RunningProxy;
const httpChecks: SeenCheck[] = [];
const grpcChecks: CheckRequest[] = [];
const backendSeen: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

/** The HTTP authorization service: decides by the client's x-authz header. */
function startHttpAuthz(): Promise<number> {
  httpAuthz = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      httpChecks.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const verdict = req.headers['x-authz'];
      if (verdict === 'allow') {
        res.writeHead(200, { 'x-authz-user': 'alice', 'x-authz-client': 'ok', 'x-not-allowed': 'dropped' });
        res.end();
      } else if (verdict === 'boom') {
        res.writeHead(503);
        res.end('down');
      } else {
        res.writeHead(403, { 'x-authz-reason': 'nope', 'x-internal': 'hidden', 'content-type': 'text/plain' });
        res.end('denied by authz');
      }
    });
  });
  return new Promise((r) => httpAuthz.listen(0, '127.0.0.1', () => r((httpAuthz.address() as { port: number }).port)));
}

/** The gRPC authorization service, from Envoy's own external_auth.proto: decides by the x-authz header it is sent. */
async function startGrpcAuthz(): Promise<number> {
  const def = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', { keepCase: true, includeDirs: includeDirs(), defaults: false, enums: String });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { envoy: { service: { auth: { v3: { Authorization: { service: grpc.ServiceDefinition } } } } } };
  grpcAuthz = new grpc.Server();
  grpcAuthz.addService(pkg.envoy.service.auth.v3.Authorization.service, {
    Check: (call: grpc.ServerUnaryCall<CheckRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      grpcChecks.push(call.request);
      const verdict = call.request.attributes.request.http.headers['x-authz'];
      if (verdict === 'slow') {
        setTimeout(() => cb(null, { status: { code: 0 } }), 300);
      } else if (verdict === 'allow') {
        cb(null, {
          status: { code: 0 },
          ok_response: {
            headers: [{ header: { key: 'x-authz-user', value: 'bob' } }],
            headers_to_remove: ['x-drop-me'],
            response_headers_to_add: [{ header: { key: 'x-grpc-authz', value: 'yes' } }],
          },
        });
      } else if (verdict === 'inject') {
        // a header value that would split an HTTP/1 request, next to a valid one
        cb(null, {
          status: { code: 0 },
          ok_response: { headers: [{ header: { key: 'x-evil', value: 'a\r\nx-injected: 1' } }, { header: { key: 'x-fine', value: 'ok' } }] },
        });
      } else if (verdict === 'crash') {
        cb({ code: grpc.status.INTERNAL, details: 'authz bug' });
      } else {
        cb(null, {
          status: { code: 7 },
          denied_response: { status: { code: 'Unauthorized' }, headers: [{ header: { key: 'x-deny', value: 'grpc' } }], body: 'grpc says no' },
        });
      }
    },
  });
  return new Promise((resolve, reject) => grpcAuthz.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
}

function extAuthz(config: object): object {
  return { name: 'envoy.filters.http.ext_authz', typed_config: { '@type': EXT_AUTHZ, ...config } };
}

function routeConfig(name: string): object {
  return {
    name,
    virtual_hosts: [
      {
        name: 'all',
        domains: ['*'],
        routes: [
          { match: { prefix: '/public' }, route: { cluster: 'backend' }, typed_per_filter_config: { 'envoy.filters.http.ext_authz': { '@type': PER_ROUTE, disabled: true } } },
          {
            match: { prefix: '/ctx' },
            route: { cluster: 'backend' },
            typed_per_filter_config: { 'envoy.filters.http.ext_authz': { '@type': PER_ROUTE, check_settings: { context_extensions: { tier: 'gold' } } } },
          },
          { match: { prefix: '/' }, route: { cluster: 'backend' } },
        ],
      },
    ],
  };
}

function listener(name: string, filter: object): object {
  return hcmListener(name, { routeConfig: routeConfig(name), httpFilters: [filter, ROUTER_FILTER] });
}

before(async () => {
  backend = await startUpstream('backend', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      backendSeen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'x-upstream': 'backend' });
      res.end(`backend ${req.method} ${req.url}`);
    });
  });
  const httpPort = await startHttpAuthz();
  const grpcPort = await startGrpcAuthz();
  // port 1: nothing listens there (a released ephemeral port could be handed to one of the proxy's listeners)
  const dead = 1;
  const grpcService = (cluster: string): object => ({ envoy_grpc: { cluster_name: cluster }, timeout: '2s' });
  proxy = await startProxy(
    multiBootstrap(
      [
        listener(
          'http_authz',
          extAuthz({
            http_service: {
              server_uri: { uri: 'http://authz', cluster: 'authz_http', timeout: '2s' },
              path_prefix: '/check',
              authorization_request: {
                allowed_headers: { patterns: [{ exact: 'x-authz' }] },
                headers_to_add: [{ key: 'x-from-proxy', value: 'trellis' }],
              },
              authorization_response: {
                allowed_upstream_headers: { patterns: [{ exact: 'x-authz-user' }] },
                allowed_client_headers: { patterns: [{ exact: 'x-authz-reason' }] },
                allowed_client_headers_on_success: { patterns: [{ exact: 'x-authz-client' }] },
              },
            },
            with_request_body: { max_request_bytes: 64 },
          }),
        ),
        listener('grpc_authz', extAuthz({ grpc_service: grpcService('authz_grpc'), with_request_body: { max_request_bytes: 64, allow_partial_message: true } })),
        listener('grpc_validate', extAuthz({ grpc_service: grpcService('authz_grpc'), validate_mutations: true })),
        listener('grpc_down_closed', extAuthz({ grpc_service: grpcService('authz_dead'), status_on_error: { code: 'ServiceUnavailable' } })),
        listener('grpc_down_open', extAuthz({ grpc_service: grpcService('authz_dead'), failure_mode_allow: true, failure_mode_allow_header_add: true })),
        listener('http_down_open', extAuthz({ http_service: { server_uri: { uri: 'http://x', cluster: 'authz_dead_h1', timeout: '1s' } }, failure_mode_allow: true })),
      ],
      [
        staticCluster('backend', [backend.port]),
        staticCluster('authz_http', [httpPort]),
        staticCluster('authz_grpc', [grpcPort], H2_UPSTREAM),
        staticCluster('authz_dead', [dead], H2_UPSTREAM),
        staticCluster('authz_dead_h1', [dead]),
      ],
    ),
  );
});

after(async () => {
  await proxy?.stop();
  await backend?.close();
  await new Promise<void>((r) => (httpAuthz ? httpAuthz.close(() => r()) : r()));
  grpcAuthz?.forceShutdown();
});

function port(name: string): number {
  return proxy.listeners.get(name)!;
}

function stat(name: string): Promise<number> {
  return adminStat(proxy.adminPort, name);
}

test('HTTP service allows: same method, path_prefix + path, allow-listed headers only; its headers reach the upstream and the client', async () => {
  httpChecks.length = 0;
  backendSeen.length = 0;
  const r = await request(port('http_authz'), { path: '/app/x?q=1', headers: { 'x-authz': 'allow', 'x-secret': 's3', authorization: 'Bearer t', 'x-authz-user': 'forged' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'backend GET /app/x?q=1');
  assert.equal(r.headers['x-authz-client'], 'ok');
  const check = httpChecks[0];
  assert.equal(check.method, 'GET');
  assert.equal(check.url, '/check/app/x?q=1');
  assert.equal(check.headers['x-authz'], 'allow');
  assert.equal(check.headers.authorization, 'Bearer t', 'authorization is always sent');
  assert.equal(check.headers.host, 'example.com', 'the check carries the request authority');
  assert.equal(check.headers['x-secret'], undefined, 'not allow-listed');
  assert.equal(check.headers['x-from-proxy'], 'trellis');
  assert.equal(check.headers['content-length'], '0');
  assert.equal(backendSeen[0].headers['x-authz-user'], 'alice', 'allowed_upstream_headers overwrite the client value');
  assert.equal(backendSeen[0].headers['x-not-allowed'], undefined);
});

test('HTTP service denies: its status, body and allowed client headers go to the client; the upstream is not called', async () => {
  backendSeen.length = 0;
  const r = await request(port('http_authz'), { path: '/app', headers: { 'x-authz': 'deny' } });
  assert.equal(r.status, 403);
  assert.equal(r.body, 'denied by authz');
  assert.equal(r.headers['x-authz-reason'], 'nope');
  assert.equal(r.headers['x-internal'], undefined, 'not in allowed_client_headers');
  assert.equal(backendSeen.length, 0);
});

test('HTTP service: the buffered body reaches the service (and then the upstream); over max_request_bytes is 413', async () => {
  httpChecks.length = 0;
  backendSeen.length = 0;
  const r = await request(port('http_authz'), { path: '/upload', method: 'POST', headers: { 'x-authz': 'allow' }, body: 'hello body' });
  assert.equal(r.status, 200, r.body);
  assert.equal(httpChecks[0].method, 'POST');
  assert.equal(httpChecks[0].body, 'hello body');
  assert.equal(httpChecks[0].headers['content-length'], '10');
  assert.equal(backendSeen[0].body, 'hello body');
  const big = await request(port('http_authz'), { path: '/upload', method: 'POST', headers: { 'x-authz': 'allow' }, body: 'x'.repeat(100) });
  assert.equal(big.status, 413);
});

test('HTTP service 5xx is an error: status_on_error (403) without failure_mode_allow', async () => {
  const before = await stat('http.http_authz.ext_authz.error');
  const r = await request(port('http_authz'), { path: '/app', headers: { 'x-authz': 'boom' } });
  assert.equal(r.status, 403);
  assert.equal(r.body, '');
  assert.equal(await stat('http.http_authz.ext_authz.error'), before + 1);
});

test('per-route ExtAuthzPerRoute disabled skips the check', async () => {
  httpChecks.length = 0;
  const r = await request(port('http_authz'), { path: '/public/a', headers: { 'x-authz': 'deny' } });
  assert.equal(r.status, 200);
  assert.equal(httpChecks.length, 0);
});

test('gRPC service allows: CheckRequest attributes over real HTTP/2; ok_response edits the request and the response', async () => {
  grpcChecks.length = 0;
  backendSeen.length = 0;
  const r = await request(port('grpc_authz'), { path: '/ctx/thing?a=b', headers: { 'x-authz': 'allow', 'x-drop-me': '1', 'x-keep': 'k' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers['x-grpc-authz'], 'yes');
  assert.equal(backendSeen[0].headers['x-authz-user'], 'bob');
  assert.equal(backendSeen[0].headers['x-drop-me'], undefined, 'headers_to_remove');
  assert.equal(backendSeen[0].headers['x-keep'], 'k');
  const a = grpcChecks[0].attributes;
  assert.equal(a.request.http.method, 'GET');
  assert.equal(a.request.http.path, '/ctx/thing?a=b');
  assert.equal(a.request.http.host, 'example.com');
  assert.equal(a.request.http.protocol, 'HTTP/1.1');
  assert.equal(a.request.http.headers[':path'], '/ctx/thing?a=b');
  assert.equal(a.request.http.headers['x-keep'], 'k', 'without allowed_headers every header goes to a gRPC service');
  assert.equal(a.source.address.socket_address.address, '127.0.0.1');
  assert.equal(a.destination.address.socket_address.port_value, port('grpc_authz'));
  assert.deepEqual(a.context_extensions, { tier: 'gold' });
});

test('gRPC service denies: denied_response status, headers and body go to the client', async () => {
  backendSeen.length = 0;
  const r = await request(port('grpc_authz'), { path: '/app', headers: { 'x-authz': 'deny' } });
  assert.equal(r.status, 401);
  assert.equal(r.body, 'grpc says no');
  assert.equal(r.headers['x-deny'], 'grpc');
  assert.equal(backendSeen.length, 0);
});

test('gRPC service: with_request_body reaches the service; allow_partial_message cuts it at max_request_bytes', async () => {
  grpcChecks.length = 0;
  backendSeen.length = 0;
  const small = await request(port('grpc_authz'), { path: '/up', method: 'POST', headers: { 'x-authz': 'allow' }, body: 'small body' });
  assert.equal(small.status, 200, small.body);
  assert.equal(grpcChecks[0].attributes.request.http.body, 'small body');
  assert.equal(grpcChecks[0].attributes.request.http.headers['x-envoy-auth-partial-body'], 'false');
  const body = 'y'.repeat(200);
  const big = await request(port('grpc_authz'), { path: '/up', method: 'POST', headers: { 'x-authz': 'allow' }, body });
  assert.equal(big.status, 200, big.body);
  assert.equal(grpcChecks[1].attributes.request.http.body, 'y'.repeat(64));
  assert.equal(grpcChecks[1].attributes.request.http.headers['x-envoy-auth-partial-body'], 'true');
  assert.equal(backendSeen[1].body, body, 'the whole body still goes upstream');
});

test('gRPC service failing (grpc-status INTERNAL) is an error → 403', async () => {
  const r = await request(port('grpc_authz'), { path: '/app', headers: { 'x-authz': 'crash' } });
  assert.equal(r.status, 403);
});

test('authorization service down: fail closed with status_on_error, or open with failure_mode_allow (+ header)', async () => {
  backendSeen.length = 0;
  const closed = await request(port('grpc_down_closed'), { path: '/app' });
  assert.equal(closed.status, 503);
  assert.equal(backendSeen.length, 0);
  const open = await request(port('grpc_down_open'), { path: '/app' });
  assert.equal(open.status, 200, open.body);
  assert.equal(backendSeen[0].headers['x-envoy-auth-failure-mode-allowed'], 'true');
  const httpOpen = await request(port('http_down_open'), { path: '/app' });
  assert.equal(httpOpen.status, 200, httpOpen.body);
  assert.equal(backendSeen[1].headers['x-envoy-auth-failure-mode-allowed'], undefined, 'no failure_mode_allow_header_add');
  assert.equal(await stat('http.grpc_down_open.ext_authz.failure_mode_allowed'), 1);
  assert.equal(await stat('http.grpc_down_open.ext_authz.error'), 1);
  assert.equal(await stat('http.grpc_down_closed.ext_authz.error'), 1);
});

test('stats: ok and denied under http.<prefix>.ext_authz and cluster.<route cluster>.ext_authz', async () => {
  const ok = await stat('http.grpc_authz.ext_authz.ok');
  const denied = await stat('http.grpc_authz.ext_authz.denied');
  assert.ok(ok >= 3, `ok ${ok}`);
  assert.ok(denied >= 1, `denied ${denied}`);
  assert.ok((await stat('cluster.backend.ext_authz.ok')) >= ok);
  assert.ok((await stat('http.http_authz.ext_authz.denied')) >= 1);
});

test('service header edits with CR/LF are never written; validate_mutations turns them into a 500', async () => {
  backendSeen.length = 0;
  const r = await request(port('grpc_authz'), { path: '/app', headers: { 'x-authz': 'inject' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(backendSeen[0].headers['x-fine'], 'ok');
  assert.equal(backendSeen[0].headers['x-evil'], undefined);
  assert.equal(backendSeen[0].headers['x-injected'], undefined);
  const strict = await request(port('grpc_validate'), { path: '/app', headers: { 'x-authz': 'inject' } });
  assert.equal(strict.status, 500);
  assert.equal(backendSeen.length, 1);
  assert.equal(await stat('http.grpc_validate.ext_authz.invalid'), 1);
});

test('a body larger than the buffer limit, sent while the check runs, is held with flow control (not 413) and arrives whole', async () => {
  backendSeen.length = 0;
  const body = Buffer.alloc(3 * 1024 * 1024, 'z');
  // the check starts after max_request_bytes (allow_partial_message) and takes 300 ms; the rest keeps coming meanwhile
  const r = await request(port('grpc_authz'), { path: '/big', method: 'POST', headers: { 'x-authz': 'slow' }, body });
  assert.equal(r.status, 200, r.body);
  assert.equal(backendSeen[0].body.length, body.length);
});
