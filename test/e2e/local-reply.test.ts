// E2E: HCM local_reply_config in a real `trellis proxy` — mappers rewrite status/body/headers of no-route, upstream-failure
// and direct replies, JSON and HTML body formats, gRPC trailers-only replies; access_log `filter` writes only what matches.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { deadPort, httpBootstrap, readLines, request, startProxy, startUpstream, staticCluster, tempFile, waitFor, fileAccessLog, type RunningProxy, type Upstream } from './harness.js';

let backend: Upstream;
let proxy: RunningProxy;
let port: number;
const logFile = tempFile('errors.log');

const statusIs = (code: number): object => ({ status_code_filter: { comparison: { op: 'EQ', value: { default_value: code, runtime_key: `local_reply.code_${code}` } } } });

before(async () => {
  backend = await startUpstream('backend');
  const dead = await deadPort();
  const log = {
    ...(fileAccessLog(logFile, '%RESPONSE_CODE% %RESPONSE_FLAGS% %REQ(:PATH)% [%LOCAL_REPLY_BODY%]\n') as Record<string, unknown>),
    filter: { status_code_filter: { comparison: { op: 'GE', value: { default_value: 400, runtime_key: 'access_log.min_status' } } } },
  };
  proxy = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('backend', [backend.port]), staticCluster('down', [dead])],
      routeConfig: {
        name: 'local',
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              { match: { prefix: '/ok' }, route: { cluster: 'backend' } },
              { match: { prefix: '/down' }, route: { cluster: 'down' } },
              { match: { prefix: '/teapot' }, direct_response: { status: 418, body: { inline_string: 'short and stout' } } },
            ],
          },
        ],
      },
      hcm: {
        access_log: [log],
        local_reply_config: {
          mappers: [
            // Envoy's documented example, on the no-route 404
            {
              filter: statusIs(404),
              headers_to_add: [{ header: { key: 'foo', value: 'bar' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
              status_code: 401,
              body: { inline_string: 'not allowed' },
            },
            // a tenant header picks an HTML page for the direct response
            {
              filter: { and_filter: { filters: [statusIs(418), { header_filter: { header: { name: 'x-tenant', string_match: { exact: 'html' } } } }] } },
              body_format_override: { text_format_source: { inline_string: '<h1>%RESPONSE_CODE%</h1><p>%LOCAL_REPLY_BODY%</p>' }, content_type: 'text/html; charset=UTF-8' },
            },
            // upstream connect failures become 502 with the original code kept in a header
            {
              filter: { response_flag_filter: { flags: ['UF'] } },
              status_code: 502,
              headers_to_add: [{ header: { key: 'x-original-status', value: '%RESPONSE_CODE%' } }],
            },
          ],
          body_format: { json_format: { status: '%RESPONSE_CODE%', message: '%LOCAL_REPLY_BODY%', path: '%REQ(:path)%', flags: '%RESPONSE_FLAGS%' } },
        },
      },
    }),
  );
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  await backend?.close();
});

test('a no-route 404 becomes the mapped 401 "not allowed" with header foo, formatted by body_format', async () => {
  const r = await request(port, { path: '/nowhere' });
  assert.equal(r.status, 401);
  assert.equal(r.headers.foo, 'bar');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(r.body), { status: 401, message: 'not allowed', path: '/nowhere', flags: 'NR' });
  assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
});

test('an upstream connect failure is rewritten to 502 with the original code in a header and the JSON body', async () => {
  const r = await request(port, { path: '/down' });
  assert.equal(r.status, 502);
  assert.equal(r.headers['x-original-status'], '503');
  const body = JSON.parse(r.body) as Record<string, unknown>;
  assert.equal(body.status, 502);
  assert.equal(body.flags, 'UF');
  assert.match(String(body.message), /^upstream connect error/);
});

test('a direct response goes through the mappers: HTML for one tenant, the JSON body_format for others', async () => {
  const html = await request(port, { path: '/teapot', headers: { 'x-tenant': 'html' } });
  assert.equal(html.status, 418);
  assert.equal(html.headers['content-type'], 'text/html; charset=UTF-8');
  assert.equal(html.body, '<h1>418</h1><p>short and stout</p>');
  const json = await request(port, { path: '/teapot' });
  assert.equal(json.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(json.body), { status: 418, message: 'short and stout', path: '/teapot', flags: null });
});

test('responses from the upstream are not local replies and stay as they are', async () => {
  const r = await request(port, { path: '/ok' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'backend GET /ok 0');
  assert.equal(r.headers.foo, undefined);
});

test('a gRPC request gets a trailers-only reply with grpc-status from the rewritten code and the formatted body as grpc-message', async () => {
  const r = await request(port, { path: '/nowhere.Svc/Call', method: 'POST', headers: { 'content-type': 'application/grpc', te: 'trailers' }, body: Buffer.alloc(5) });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/grpc');
  assert.equal(r.headers['grpc-status'], '16'); // 401 -> UNAUTHENTICATED
  assert.equal(r.headers.foo, 'bar');
  assert.deepEqual(JSON.parse(decodeURIComponent(String(r.headers['grpc-message']))), { status: 401, message: 'not allowed', path: '/nowhere.Svc/Call', flags: 'NR' });
});

test('access_log filter: only responses >= 400 are logged, with %LOCAL_REPLY_BODY%', async () => {
  await request(port, { path: '/ok?logged=no' });
  await request(port, { path: '/teapot?logged=yes' });
  await waitFor(() => readLines(logFile).some((x) => x.includes('/teapot?logged=yes')));
  const lines = readLines(logFile);
  assert.ok(!lines.some((l) => l.includes('/ok')), lines.join('\n'));
  assert.ok(lines.includes('418 - /teapot?logged=yes [short and stout]'), lines.join('\n'));
  assert.ok(lines.some((l) => /^401 NR \/nowhere \[not allowed\]$/.test(l)), lines.join('\n'));
});
