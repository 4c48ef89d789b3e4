// E2E: the admin interface (/ready, /server_info, /config_dump, /clusters, /stats, Prometheus, /quitquitquit), access logs, `--concurrency 2` and CLI errors of `trellis proxy`.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { makeTestPki, type TestPki } from '../fixtures/certs.js';
import {
  CLI,
  adminGet,
  deadPort,
  fileAccessLog,
  hcmListener,
  multiBootstrap,
  promValue,
  readLines,
  request,
  requestMany,
  startProxy,
  startUpstream,
  staticCluster,
  tempFile,
  waitFor,
  type RunningProxy,
  type Upstream,
} from './harness.js';

// ---------------------------------------------------------------- a strict Prometheus text-format (0.0.4) parser

interface PromSample {
  name: string;
  labels: Map<string, string>;
  value: number;
}
interface PromFamily {
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, where: string): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: bad sample value "${s}"`);
  return Number(s);
}

/** Parses `{a="x",b="y\"z"}` starting at `text[0] === '{'`; returns the labels and the rest of the line. */
function parseLabels(text: string, where: string): { labels: Map<string, string>; rest: string } {
  const labels = new Map<string, string>();
  let i = 1;
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`${where}: bad label name "${name}"`);
    if (labels.has(name)) throw new Error(`${where}: duplicate label "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value of "${name}" is not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`${where}: raw newline in label value`);
      if (c === '\\') {
        const n = text[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${n} in label value`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels.set(name, value);
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected ',' or '}' after label "${name}"`);
  }
}

/**
 * Every line must be a valid comment, TYPE/HELP line or sample; a family's TYPE comes before its samples and
 * its samples are contiguous; no series repeats; histograms have cumulative `_bucket{le}` series ending at
 * `+Inf` (= `_count`), plus `_sum` and `_count`, for every label set.
 */
function parsePrometheus(body: string): Map<string, PromFamily> {
  assert.ok(body.endsWith('\n'), 'exposition must end with a newline');
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>();
  let current: string | undefined;
  const seen = new Set<string>();
  const lines = body.slice(0, -1).split('\n');
  lines.forEach((line, idx) => {
    const where = `line ${idx + 1} "${line.slice(0, 120)}"`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (TYPE|HELP) (\S+) ?(.*)$/.exec(line);
      if (m === null) return; // plain comment
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name in ${kind}`);
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: bad type "${rest}"`);
        if (families.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        if (current !== undefined) closed.add(current);
        families.set(name, { type: rest as PromFamily['type'], samples: [] });
        current = name;
      }
      return;
    }
    const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (nm === null) throw new Error(`${where}: no metric name`);
    const name = nm[1];
    let rest = line.slice(name.length);
    let labels = new Map<string, string>();
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
    const vm = /^ (\S+)( -?\d+)?$/.exec(rest);
    if (vm === null) throw new Error(`${where}: expected ' value [timestamp]' after the series`);
    const value = parseValue(vm[1], where);
    // which family does it belong to?
    let fam: string | undefined;
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      if (!name.endsWith(suffix)) continue;
      const base = name.slice(0, name.length - suffix.length);
      const f = families.get(base);
      if (f === undefined) continue;
      if (suffix === '' ? f.type !== 'histogram' : f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket')) {
        fam = base;
        break;
      }
    }
    if (fam === undefined) throw new Error(`${where}: sample before (or without) its # TYPE line`);
    if (fam !== current || closed.has(fam)) throw new Error(`${where}: samples of ${fam} are not contiguous under its TYPE line`);
    const f = families.get(fam)!;
    if (name.endsWith('_bucket') && f.type === 'histogram' && !labels.has('le')) throw new Error(`${where}: _bucket without le`);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: negative counter`);
    const key = `${name}${JSON.stringify([...labels].sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const [name, f] of families) {
    if (f.type !== 'histogram') continue;
    const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
    for (const s of f.samples) {
      const rest = [...s.labels].filter(([k]) => k !== 'le').sort();
      const key = JSON.stringify(rest);
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { buckets: [] }));
      if (s.name === `${name}_bucket`) g.buckets.push([parseValue(s.labels.get('le')!, `${name} le`), s.value]);
      else if (s.name === `${name}_sum`) g.sum = s.value;
      else if (s.name === `${name}_count`) g.count = s.value;
    }
    for (const [key, g] of groups) {
      const what = `histogram ${name}${key}`;
      assert.ok(g.sum !== undefined, `${what}: no _sum`);
      assert.ok(g.count !== undefined, `${what}: no _count`);
      assert.ok(g.buckets.length > 0, `${what}: no buckets`);
      const last = g.buckets.at(-1)!;
      assert.equal(last[0], Infinity, `${what}: last bucket must be le="+Inf"`);
      assert.equal(last[1], g.count, `${what}: +Inf bucket must equal _count`);
      for (let i = 1; i < g.buckets.length; i++) {
        assert.ok(g.buckets[i][0] > g.buckets[i - 1][0], `${what}: le must increase`);
        assert.ok(g.buckets[i][1] >= g.buckets[i - 1][1], `${what}: buckets must be cumulative`);
      }
    }
  }
  return families;
}

function findSample(fams: Map<string, PromFamily>, family: string, sample: string, labels: Record<string, string>): PromSample | undefined {
  return fams.get(family)?.samples.find((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v));
}

// ---------------------------------------------------------------- process helpers

function exitOf(proc: RunningProxy['proc']): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
}

function runCli(args: string[], timeoutMs = 15000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** Socket inodes of ESTABLISHED TCP sockets whose local port is `port` (from /proc/net/tcp). */
function establishedInodes(port: number): Set<string> {
  const out = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    if (f[1].endsWith(`:${hex}`) && f[3] === '01') out.add(f[9]);
  }
  return out;
}

/** How many of `inodes` each pid holds open. */
function socketOwners(pids: number[], inodes: Set<string>): Map<number, number> {
  const owners = new Map<number, number>();
  for (const pid of pids) {
    let n = 0;
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m !== null && inodes.has(m[1])) n++;
      } catch {
        /* fd closed meanwhile */
      }
    }
    owners.set(pid, n);
  }
  return owners;
}

const ROUTES = {
  name: 'main_routes',
  virtual_hosts: [
    {
      name: 'main_vh',
      domains: ['*'],
      routes: [
        { name: 'slow_route', match: { prefix: '/slow' }, route: { cluster: 'slow', timeout: '10s' } },
        { name: 'dead_route', match: { prefix: '/dead' }, route: { cluster: 'dead' } },
        { name: 'api_route', match: { prefix: '/api' }, route: { cluster: 'backend' } },
      ],
    },
  ],
};

function slowHandler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? '0');
  setTimeout(() => {
    res.setHeader('x-upstream', 'slow');
    res.end(`slow done after ${ms}`);
  }, ms);
}

// ---------------------------------------------------------------- single process: admin endpoints and access logs

describe('admin interface and access logs (single process)', () => {
  let dir: string;
  let pki: TestPki;
  let backend: Upstream[] = [];
  let slow: Upstream;
  let proxy: RunningProxy;
  let port: number;
  let textLog: string;
  let jsonLog: string;
  let dead: number;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-admin-e2e-'));
    pki = makeTestPki(dir);
    backend = await Promise.all(['b1', 'b2'].map((n) => startUpstream(n)));
    slow = await startUpstream('slow', slowHandler);
    dead = await deadPort();
    textLog = tempFile('access.log');
    jsonLog = tempFile('access.json');
    const jsonAccessLog = {
      name: 'envoy.access_loggers.file',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
        path: jsonLog,
        log_format: {
          json_format: {
            method: '%REQ(:METHOD)%',
            path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
            code: '%RESPONSE_CODE%',
            flags: '%RESPONSE_FLAGS%',
            cluster: '%UPSTREAM_CLUSTER%',
            upstream: '%UPSTREAM_HOST%',
            route: '%ROUTE_NAME%',
            bytes_sent: '%BYTES_SENT%',
            ua: '%REQ(USER-AGENT)%',
            fixed: 'literal',
          },
        },
      },
    };
    const b = multiBootstrap(
      [
        hcmListener('ingress', {
          routeConfig: ROUTES,
          hcm: {
            access_log: [fileAccessLog(textLog, '[%START_TIME%] %REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER% %ROUTE_NAME% ua=%REQ(USER-AGENT)%\n'), jsonAccessLog],
          },
        }),
        {
          name: 'secure',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.tcp_proxy',
                  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'secure', cluster: 'backend' },
                },
              ],
              transport_socket: {
                name: 'envoy.transport_sockets.tls',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                  common_tls_context: { tls_certificates: [{ certificate_chain: { filename: pki.serverCertPath }, private_key: { filename: pki.serverKeyPath } }] },
                },
              },
            },
          ],
        },
      ],
      [
        {
          name: 'backend',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'backend',
            endpoints: [
              {
                lb_endpoints: [
                  { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: backend[0].port } } }, load_balancing_weight: 1 },
                  { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: backend[1].port } } }, load_balancing_weight: 3 },
                ],
              },
            ],
          },
        },
        staticCluster('slow', [slow.port]),
        staticCluster('dead', [dead]),
      ],
    );
    proxy = await startProxy(b);
    port = proxy.listeners.get('ingress')!;
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([...backend, slow].filter((u) => u !== undefined).map((u) => u.close()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    for (const f of [textLog, jsonLog]) if (f) fs.rmSync(path.dirname(f), { recursive: true, force: true });
  });

  test('/ready is 200 LIVE; /server_info is JSON with state and command_line_options.concurrency', async () => {
    const ready = await adminGet(proxy.adminPort, '/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.trim(), 'LIVE');
    const info = await adminGet(proxy.adminPort, '/server_info');
    assert.equal(info.status, 200);
    assert.match(String(info.headers['content-type']), /application\/json/);
    const j = JSON.parse(info.body) as { state: string; command_line_options: { concurrency: number }; version: string; uptime_current_epoch: string };
    assert.equal(j.state, 'LIVE');
    assert.equal(j.command_line_options.concurrency, 1);
    assert.equal(typeof j.version, 'string');
    assert.match(j.uptime_current_epoch, /^\d+(\.\d+)?s$/);
  });

  test('/config_dump names listeners and clusters and never prints private keys', async () => {
    const r = await adminGet(proxy.adminPort, '/config_dump');
    assert.equal(r.status, 200);
    JSON.parse(r.body);
    for (const name of ['ingress', 'secure', 'backend', 'slow', 'dead', 'main_routes']) assert.ok(r.body.includes(`"${name}"`), `config_dump lacks ${name}`);
    assert.ok(r.body.includes('BEGIN CERTIFICATE') || r.body.includes(pki.serverCertPath), 'the certificate (not secret) may be shown');
    assert.doesNotMatch(r.body, /PRIVATE KEY/);
    // no line of the key's base64 body either
    for (const line of pki.serverKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      assert.ok(!r.body.includes(line), 'config_dump leaks private key material');
    }
  });

  test('/clusters shows host:port, health flags, weights and per-host counters after traffic', async () => {
    const replies = await requestMany(40, 4, (i) => request(port, { path: `/api/c${i}` }));
    assert.ok(replies.every((x) => x.status === 200));
    const r = await adminGet(proxy.adminPort, '/clusters');
    assert.equal(r.status, 200);
    const lines = new Set(r.body.split('\n'));
    const stat = (host: string, name: string): number => {
      const m = new RegExp(`^backend::${host.replace(/\./g, '\\.')}::${name}::(\\d+)$`, 'm').exec(r.body);
      assert.ok(m !== null, `no backend::${host}::${name} in\n${r.body}`);
      return Number(m[1]);
    };
    let total = 0;
    for (const [i, u] of backend.entries()) {
      const host = `127.0.0.1:${u.port}`;
      assert.ok(lines.has(`backend::${host}::health_flags::healthy`), r.body);
      assert.ok(lines.has(`backend::${host}::weight::${i === 0 ? 1 : 3}`), r.body);
      const rq = stat(host, 'rq_total');
      assert.equal(rq, u.requests.length, `rq_total of ${host}`);
      total += rq;
      // keep-alive: the pooled connection to a host that served requests is still open
      if (rq > 0) assert.ok(stat(host, 'cx_active') >= 1, `cx_active of ${host}:\n${r.body}`);
      assert.ok(stat(host, 'cx_total') >= 1);
    }
    assert.equal(total, 40);
    assert.ok(lines.has(`dead::127.0.0.1:${dead}::health_flags::healthy`), r.body);
    assert.ok(lines.has('backend::default_priority::max_connections::1024'), r.body);

    const j = await adminGet(proxy.adminPort, '/clusters?format=json');
    assert.equal(j.status, 200);
    type HostJson = { address: { socket_address: { address: string; port_value: number } }; stats: { name: string; value?: string }[]; weight: number; health_status: { eds_health_status: string } };
    const body = JSON.parse(j.body) as { cluster_statuses: { name: string; host_statuses: HostJson[] }[] };
    const be = body.cluster_statuses.find((c) => c.name === 'backend');
    assert.ok(be !== undefined);
    assert.deepEqual(be.host_statuses.map((h) => h.address.socket_address.port_value).sort(), backend.map((u) => u.port).sort());
    for (const h of be.host_statuses) {
      const u = backend.find((x) => x.port === h.address.socket_address.port_value)!;
      assert.equal(h.weight, u === backend[0] ? 1 : 3);
      assert.equal(h.health_status.eds_health_status, 'HEALTHY');
      assert.equal(h.stats.find((s) => s.name === 'rq_total')?.value, String(u.requests.length));
    }
  });

  test('/stats text and ?filter=', async () => {
    await request(port, { path: '/api/stats' });
    const all = await adminGet(proxy.adminPort, '/stats');
    assert.equal(all.status, 200);
    const m = /^cluster\.backend\.upstream_rq_total: (\d+)$/m.exec(all.body);
    assert.ok(m !== null && Number(m[1]) >= 1, 'cluster.backend.upstream_rq_total');
    assert.match(all.body, /^http\.ingress\.downstream_rq_total: [1-9]\d*$/m);
    assert.match(all.body, new RegExp(`^listener\\.127\\.0\\.0\\.1_${port}\\.downstream_cx_total: [1-9]\\d*$`, 'm'));
    for (const line of all.body.trim().split('\n')) assert.match(line, /^[\w.:\-[\]]+: .+$/, line);

    const f = await adminGet(proxy.adminPort, '/stats?filter=upstream_rq_total');
    assert.equal(f.status, 200);
    const fl = f.body.trim().split('\n');
    assert.ok(fl.length >= 2, f.body);
    for (const line of fl) assert.match(line, /upstream_rq_total/);
    assert.ok(fl.includes(`cluster.backend.upstream_rq_total: ${m[1]}`) || fl.some((l) => l.startsWith('cluster.backend.upstream_rq_total: ')));
    const bad = await adminGet(proxy.adminPort, '/stats?filter=(');
    assert.equal(bad.status, 400);
  });

  test('/stats/prometheus is valid text format with Envoy names for clusters, listeners, HCM and routes', async () => {
    await requestMany(10, 2, (i) => request(port, { path: `/api/p${i}` }));
    const r = await adminGet(proxy.adminPort, '/stats/prometheus');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const fams = parsePrometheus(r.body);
    const rq = findSample(fams, 'envoy_cluster_upstream_rq_total', 'envoy_cluster_upstream_rq_total', { envoy_cluster_name: 'backend' });
    assert.ok(rq !== undefined && rq.value >= 10, 'envoy_cluster_upstream_rq_total{envoy_cluster_name="backend"}');
    assert.equal(fams.get('envoy_cluster_upstream_rq_total')!.type, 'counter');
    const lcx = findSample(fams, 'envoy_listener_downstream_cx_total', 'envoy_listener_downstream_cx_total', { envoy_listener_address: `127.0.0.1_${port}` });
    assert.ok(lcx !== undefined && lcx.value >= 1, 'envoy_listener_downstream_cx_total');
    const hrq = findSample(fams, 'envoy_http_downstream_rq_total', 'envoy_http_downstream_rq_total', { envoy_http_conn_manager_prefix: 'ingress' });
    assert.ok(hrq !== undefined && hrq.value >= 10, 'envoy_http_downstream_rq_total');
    assert.equal(fams.get('envoy_cluster_upstream_rq_time')?.type, 'histogram');
    const inf = findSample(fams, 'envoy_cluster_upstream_rq_time', 'envoy_cluster_upstream_rq_time_bucket', { envoy_cluster_name: 'backend', le: '+Inf' });
    assert.ok(inf !== undefined && inf.value >= 10, 'envoy_cluster_upstream_rq_time_bucket{le="+Inf"}');
    const cnt = findSample(fams, 'envoy_cluster_upstream_rq_time', 'envoy_cluster_upstream_rq_time_count', { envoy_cluster_name: 'backend' });
    assert.equal(cnt?.value, inf.value);
    assert.ok(findSample(fams, 'envoy_cluster_upstream_rq_time', 'envoy_cluster_upstream_rq_time_sum', { envoy_cluster_name: 'backend' }) !== undefined);
    assert.ok(findSample(fams, 'envoy_cluster_upstream_rq_xx', 'envoy_cluster_upstream_rq_xx', { envoy_cluster_name: 'backend', envoy_response_code_class: '2' })!.value >= 10);
    // a route-level series: vhost main_vh, route api_route
    const routeSeries = [...fams.values()].flatMap((f) => f.samples).filter((s) => s.labels.get('envoy_virtual_host') === 'main_vh' && [...s.labels.values()].includes('api_route'));
    assert.ok(routeSeries.length > 0, 'no series labelled with the virtual host and route');
    assert.ok(routeSeries.some((s) => s.name.endsWith('upstream_rq_total') && s.value >= 10), JSON.stringify(routeSeries.map((s) => `${s.name} ${s.value}`)));
    // the TLS listener's ssl stats and server stats are there too
    assert.ok(fams.has('envoy_server_live') || fams.has('envoy_server_state'), 'server stats');
  });

  test('file access log: custom text format and JSON format with response flags', async () => {
    await request(port, { path: '/api/logged', headers: { 'user-agent': 'e2e-agent' } });
    await request(port, { path: '/dead/x', headers: { 'user-agent': 'e2e-agent' } });
    await request(port, { path: '/nowhere', headers: { 'user-agent': 'e2e-agent' } });
    const text = await waitFor(() => {
      const l = readLines(textLog);
      return l.some((x) => x.includes('/nowhere')) ? l : undefined;
    }, 5000, 'text access log');
    const line = (p: string): string => {
      const l = text!.find((x) => x.includes(` ${p} `));
      assert.ok(l !== undefined, `no line for ${p} in\n${text!.join('\n')}`);
      return l;
    };
    assert.match(line('/api/logged'), /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] GET \/api\/logged HTTP\/1\.1 200 - backend api_route ua=e2e-agent$/);
    assert.match(line('/dead/x'), / 503 UF dead dead_route ua=e2e-agent$/);
    assert.match(line('/nowhere'), / 404 NR - - ua=e2e-agent$/);

    const json = await waitFor(() => {
      const l = readLines(jsonLog);
      return l.some((x) => x.includes('/nowhere')) ? l : undefined;
    }, 5000, 'json access log');
    const entries = json!.map((l) => JSON.parse(l) as Record<string, unknown>);
    const ok = entries.find((e) => e.path === '/api/logged');
    assert.ok(ok !== undefined);
    assert.equal(ok.method, 'GET');
    assert.equal(ok.code, 200);
    assert.equal(ok.flags, null); // a single operator with no value is null in JSON, as Envoy writes it
    assert.equal(ok.cluster, 'backend');
    assert.equal(ok.route, 'api_route');
    assert.equal(ok.ua, 'e2e-agent');
    assert.equal(ok.fixed, 'literal');
    assert.equal(typeof ok.bytes_sent, 'number');
    assert.ok(backend.some((u) => ok.upstream === `127.0.0.1:${u.port}`), String(ok.upstream));
    const uf = entries.find((e) => e.path === '/dead/x')!;
    assert.equal(uf.code, 503);
    assert.equal(uf.flags, 'UF');
    assert.equal(uf.upstream, `127.0.0.1:${dead}`);
    const nr = entries.find((e) => e.path === '/nowhere')!;
    assert.equal(nr.code, 404);
    assert.equal(nr.flags, 'NR');
  });

  test('/quitquitquit: GET is 405; POST drains (an in-flight slow request completes) and exits 0', async () => {
    const get = await adminGet(proxy.adminPort, '/quitquitquit');
    assert.equal(get.status, 405);
    assert.equal(proxy.proc.exitCode, null, 'GET must not stop the proxy');
    assert.equal((await adminGet(proxy.adminPort, '/ready')).status, 200);

    const exited = exitOf(proxy.proc);
    const seen = slow.requests.length;
    const inflight = request(port, { path: '/slow?ms=1200' });
    await waitFor(() => slow.requests.length > seen, 5000, 'slow request at the upstream');
    const quit = await adminGet(proxy.adminPort, '/quitquitquit', 'POST');
    assert.equal(quit.status, 200);
    // while draining: not ready, and the listener takes no new connections
    const draining = await adminGet(proxy.adminPort, '/ready');
    assert.equal(draining.status, 503);
    assert.equal(draining.body.trim(), 'DRAINING');
    await assert.rejects(request(port, { path: '/api/late' }), /ECONNREFUSED|ECONNRESET|socket hang up/);
    assert.equal(slow.requests.length, seen + 1);
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'slow done after 1200');
    const { code, signal } = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0);
  });
});

// ---------------------------------------------------------------- --concurrency 2

describe('--concurrency 2', () => {
  let up: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    up = await startUpstream('u');
    proxy = await startProxy(multiBootstrap([hcmListener('ingress', { routeConfig: ROUTES })], [staticCluster('backend', [up.port]), staticCluster('slow', [up.port]), staticCluster('dead', [1])]), ['--concurrency', '2']);
  });

  after(async () => {
    if (proxy !== undefined) {
      const workers = childPids(proxy.proc.pid!);
      await proxy.stop();
      for (const pid of workers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await up?.close();
  });

  test('two workers share the listener; admin sums their stats; POST /quitquitquit stops all of them', async () => {
    const primary = proxy.proc.pid!;
    const workers = childPids(primary);
    assert.equal(workers.length, 2, `worker processes: ${workers.join(',')}`);
    const info = JSON.parse((await adminGet(proxy.adminPort, '/server_info')).body) as { command_line_options: { concurrency: number }; state: string };
    assert.equal(info.command_line_options.concurrency, 2);
    assert.equal(info.state, 'LIVE');

    const port = proxy.listeners.get('ingress')!;
    // connections spread over the workers: hold 8 keep-alive connections open and see which process owns each
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const held = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new Promise<number>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, path: `/api/held${i}`, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        }),
      ),
    );
    assert.ok(held.every((s) => s === 200));
    const owners = socketOwners([primary, ...workers], establishedInodes(port));
    agent.destroy();
    assert.equal(owners.get(primary) ?? 0, 0, 'the primary serves no traffic');
    const perWorker = workers.map((w) => owners.get(w) ?? 0);
    assert.ok(perWorker.every((n) => n >= 1), `connections per worker: ${perWorker.join(',')}`);

    // 100 requests on fresh connections, all succeed; the primary's /stats/prometheus sums both workers
    const before = up.requests.length;
    const replies = await requestMany(100, 10, (i) => request(port, { path: `/api/n${i}` }));
    assert.ok(replies.every((x) => x.status === 200), JSON.stringify(replies.filter((x) => x.status !== 200).slice(0, 3)));
    assert.equal(up.requests.length - before, 100);
    const total = await promValue(proxy.adminPort, 'envoy_cluster_upstream_rq_total', { envoy_cluster_name: 'backend' });
    assert.ok((total ?? 0) >= 108, `summed upstream_rq_total = ${total}`);
    const down = await promValue(proxy.adminPort, 'envoy_http_downstream_rq_total', { envoy_http_conn_manager_prefix: 'ingress' });
    assert.ok((down ?? 0) >= 108, `summed downstream_rq_total = ${down}`);
    parsePrometheus((await adminGet(proxy.adminPort, '/stats/prometheus')).body);
    // /clusters adds up the per-host counters of both workers too
    const clusters = (await adminGet(proxy.adminPort, '/clusters')).body;
    const hostRq = new RegExp(`^backend::127\\.0\\.0\\.1:${up.port}::rq_total::(\\d+)$`, 'm').exec(clusters);
    assert.equal(Number(hostRq?.[1]), up.requests.length, clusters);

    // shutdown: the primary exits 0 and no worker is left behind
    const exited = exitOf(proxy.proc);
    assert.equal((await adminGet(proxy.adminPort, '/quitquitquit', 'POST')).status, 200);
    const { code } = await exited;
    assert.equal(code, 0);
    await waitFor(() => workers.every((w) => !alive(w)), 5000, `workers ${workers.join(',')} to exit`);
  });
});

// ---------------------------------------------------------------- CLI errors and signals

describe('trellis proxy CLI', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-cli-e2e-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, doc: object): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, stringify(doc));
    return f;
  };

  const good = (): object =>
    multiBootstrap([hcmListener('ingress', { routeConfig: { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] } })], [staticCluster('backend', [9])]);

  test('an invalid config lists every error with its field path and exits 1', async () => {
    const doc = good() as { static_resources: { listeners: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[]; clusters: Record<string, unknown>[] } };
    const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    hcm.codec_type = 'HTTP7'; // bad enum
    (hcm.route_config as { virtual_hosts: { routes: { route: { cluster: string } }[] }[] }).virtual_hosts[0].routes[0].route.cluster = 'missing'; // route to a missing cluster
    doc.static_resources.clusters[0].not_a_field = true; // unknown field
    const r = await runCli(['proxy', '-c', write('bad.yaml', doc)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /3 errors/);
    const hcmPath = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
    assert.ok(r.stderr.includes(`${hcmPath}.codec_type:`), r.stderr);
    assert.match(r.stderr, /codec_type: .*HTTP7/);
    assert.ok(r.stderr.includes('static_resources.clusters[0].not_a_field:'), r.stderr);
    assert.ok(r.stderr.includes(`${hcmPath}.route_config.virtual_hosts[0].routes[0].route.cluster:`), r.stderr);
    assert.match(r.stderr, /missing/);
    assert.equal(r.stdout, '');
  });

  test('--mode validate on a good file exits 0 without serving', async () => {
    const r = await runCli(['proxy', '-c', write('good.yaml', good()), '--mode', 'validate']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /listening/);
    const bad = await runCli(['proxy', '-c', write('bad2.yaml', { ...good(), bogus: 1 }), '--mode', 'validate']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bogus/);
  });

  test('a missing config file is a clear error, exit 1', async () => {
    const missing = path.join(dir, 'does-not-exist.yaml');
    const r = await runCli(['proxy', '-c', missing]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(missing), r.stderr);
    assert.match(r.stderr, /ENOENT|no such file|cannot read/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('SIGTERM stops a serving proxy with exit status 0', async () => {
    const p = await startProxy(good());
    try {
      const exited = exitOf(p.proc);
      p.proc.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null);
      assert.equal(code, 0);
    } finally {
      await p.stop();
    }
  });

  test('SIGTERM with --concurrency 2 exits 0 and leaves no worker behind', async () => {
    const p = await startProxy(good(), ['--concurrency', '2']);
    const workers = childPids(p.proc.pid!);
    try {
      assert.equal(workers.length, 2);
      const exited = exitOf(p.proc);
      p.proc.kill('SIGTERM');
      const { code } = await exited;
      assert.equal(code, 0);
      await waitFor(() => workers.every((w) => !alive(w)), 5000, 'workers to exit');
    } finally {
      await p.stop();
      for (const pid of workers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
