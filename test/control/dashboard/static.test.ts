// Tests the dashboard's static files: the URL table (index, assets, vendor libraries), content types, CSP, ETag/304, gzip, and that no request path reaches other files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { DASHBOARD_CSP, DashboardFiles } from '../../../src/control/dashboard/static.js';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { createMemoryStore } from '../../../src/control/store/index.js';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent exactly as written (fetch and URL would normalize `..` and `%2e` first). */
function raw(port: number, rawPath: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard static files', () => {
  describe('URL table over a folder with a secret beside it', () => {
    let dir: string;
    let server: http.Server;
    let port: number;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-dash-'));
      const assets = path.join(dir, 'assets');
      fs.mkdirSync(path.join(assets, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'secret.txt'), 'SECRET');
      fs.writeFileSync(path.join(dir, 'admin-token'), 'TOKEN');
      fs.writeFileSync(path.join(assets, 'index.html'), '<!doctype html><title>t</title>');
      fs.writeFileSync(path.join(assets, 'app.js'), 'export const x = 1;\n'.repeat(50));
      fs.writeFileSync(path.join(assets, 'style.css'), 'body{}');
      fs.writeFileSync(path.join(assets, 'notes.txt'), 'not a served type');
      fs.writeFileSync(path.join(assets, 'sub', 'deep.js'), 'nested');
      fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(assets, 'link.js'));
      const files = new DashboardFiles(assets, { '/vendor/lib.mjs': path.join(assets, 'app.js'), '/vendor/missing.mjs': path.join(dir, 'nope.mjs') });
      server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (!files.serve(req, res, url.pathname)) {
          res.writeHead(404);
          res.end('no route');
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    after(() => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('serves exactly the index, the top-level files of known types and the vendor files that exist', () => {
      const files = new DashboardFiles(path.join(dir, 'assets'), { '/vendor/lib.mjs': path.join(dir, 'assets', 'app.js'), '/vendor/missing.mjs': path.join(dir, 'nope.mjs') });
      // a symlink is not a regular file entry: left out like sub-folders
      assert.deepEqual(files.paths(), ['/', '/assets/app.js', '/assets/style.css', '/vendor/lib.mjs']);
    });

    it('answers with the type, CSP, nosniff, an ETag and no-cache; HEAD has no body', async () => {
      const js = await raw(port, '/assets/app.js');
      assert.equal(js.status, 200);
      assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(js.headers['content-security-policy'], DASHBOARD_CSP);
      assert.equal(js.headers['x-content-type-options'], 'nosniff');
      assert.equal(js.headers['cache-control'], 'no-cache');
      assert.match(String(js.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
      assert.equal((await raw(port, '/')).headers['content-type'], 'text/html; charset=utf-8');
      assert.equal((await raw(port, '/assets/style.css')).headers['content-type'], 'text/css; charset=utf-8');
      assert.equal((await raw(port, '/vendor/lib.mjs')).headers['content-type'], 'text/javascript; charset=utf-8');
      const head = await raw(port, '/assets/app.js', {}, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers['content-length'], String(js.body.length));
    });

    it('304 for a matching If-None-Match (plain, weak or in a list), 200 otherwise', async () => {
      const etag = String((await raw(port, '/assets/app.js')).headers.etag);
      for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const r = await raw(port, '/assets/app.js', { 'if-none-match': inm });
        assert.equal(r.status, 304, inm);
        assert.equal(r.body.length, 0);
      }
      assert.equal((await raw(port, '/assets/app.js', { 'if-none-match': '"stale"' })).status, 200);
    });

    it('gzip when accepted', async () => {
      const r = await raw(port, '/assets/app.js', { 'accept-encoding': 'gzip, deflate' });
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.equal(r.headers.vary, 'Accept-Encoding');
      assert.equal(zlib.gunzipSync(r.body).toString(), 'export const x = 1;\n'.repeat(50));
    });

    it('no path reaches a file outside the table: dot segments, encodings, nesting, other types, symlinks, methods', async () => {
      const attempts = [
        '/assets/../secret.txt',
        '/assets/%2e%2e/secret.txt',
        '/assets/%2E%2E/admin-token',
        '/assets/..%2fsecret.txt',
        '/assets/..%5csecret.txt',
        '/assets/%2e%2e%2f%2e%2e%2fadmin-token',
        '/assets/sub/deep.js',
        '/assets/sub%2fdeep.js',
        '/assets/notes.txt',
        '/assets/link.js',
        '/assets/index.html',
        '/assets/',
        '/assets',
        '/assets/app.js/',
        '/assets/app.js%00.css',
        '/assets/APP.JS',
        '/vendor/../secret.txt',
        '/vendor/missing.mjs',
        '/secret.txt',
        '/index.html',
      ];
      for (const p of attempts) {
        const r = await raw(port, p);
        assert.equal(r.status, 404, `${p} → ${r.status}`);
        assert.ok(!r.body.toString().includes('SECRET') && !r.body.toString().includes('TOKEN'), p);
      }
      // `//x` reads as an authority (as the API server parses it): the path is `/`, so the index, never the file
      const authority = await raw(port, '//secret.txt');
      assert.ok(!authority.body.toString().includes('SECRET'));
      for (const m of ['POST', 'PUT', 'DELETE']) assert.equal((await raw(port, '/assets/app.js', {}, m)).status, 404, m);
    });
  });

  describe('on the control plane', () => {
    let cp: ControlPlane;
    let base: string;
    let port: number;
    before(async () => {
      cp = await startControlPlane({ store: createMemoryStore(), xdsTlsPort: 0, httpPort: 0 });
      port = cp.httpPort;
      base = `http://127.0.0.1:${port}`;
    });
    after(() => cp.close());

    it('GET / is the app: the page, its scripts and the libraries from node_modules, with no token', async () => {
      const index = await fetch(`${base}/`);
      assert.equal(index.status, 200);
      const html = await index.text();
      assert.equal(index.headers.get('content-security-policy'), DASHBOARD_CSP);
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.includes('/assets/app.js') && refs.includes('/vendor/uplot.css'), refs.join(' '));
      assert.ok(!/<script>|<style>|\sstyle="|\son\w+="/.test(html), 'nothing inline (the CSP forbids it)');
      for (const ref of [...refs, '/vendor/cytoscape.mjs', '/vendor/uplot.mjs', '/assets/graph.js', '/assets/lock.svg']) {
        const r = await fetch(base + ref);
        assert.equal(r.status, 200, ref);
        assert.ok((await r.arrayBuffer()).byteLength > 0, ref);
      }
      assert.equal((await fetch(`${base}/assets/lock.svg`)).headers.get('content-type'), 'image/svg+xml');
      // the library builds are ES modules the page imports
      assert.match(await (await fetch(`${base}/vendor/cytoscape.mjs`)).text(), /export\s*\{[^}]*as default/);
      assert.match(await (await fetch(`${base}/vendor/uplot.mjs`)).text(), /export\s*\{[^}]*as default|export default/);
    });

    it('the API around it is unchanged: unknown paths 404 as JSON, writes still guarded, whoami needs the token', async () => {
      const miss = await raw(port, '/assets/../../../etc/passwd');
      assert.equal(miss.status, 404);
      assert.match(String(miss.headers['content-type']), /application\/json/);
      assert.equal((await fetch(`${base}/api/v1/whoami`)).status, 401);
      assert.equal((await fetch(`${base}/api/v1/whoami`, { headers: { authorization: 'Bearer nope' } })).status, 401);
      const me = await fetch(`${base}/api/v1/whoami`, { headers: { authorization: `Bearer ${cp.adminToken}` } });
      assert.deepEqual(await me.json(), { identity: 'admin' });
      const cross = await fetch(`${base}/api/v1/rollback`, { method: 'POST', headers: { authorization: `Bearer ${cp.adminToken}`, 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"to":0}' });
      assert.equal(cross.status, 403);
      const own = await fetch(`${base}/api/v1/rollback`, { method: 'POST', headers: { authorization: `Bearer ${cp.adminToken}`, 'content-type': 'application/json', origin: base }, body: '{"to":0}' });
      assert.equal(own.status, 200, 'the page\'s own origin passes the write guard');
    });
  });
});
