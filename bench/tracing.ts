// Benchmark: what tracing costs per request — max throughput (wrk) and proxy CPU through one static `trellis proxy`
// with no tracing, tracing sampled at 1 %, and at 100 % (Zipkin v2 JSON to a local collector), in alternating rounds.
//
//   node dist/bench/tracing.js [--duration 5] [--rounds 2] [--conns 16]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { staticBootstrap } from './static-bootstrap.js';
import { cpuSecondsOf, startTrellis } from './child-process.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : Number(args[i + 1]);
};
const durationS = opt('--duration', 5);
const rounds = opt('--rounds', 2);
const conns = opt('--conns', 16);

type Mode = 'off' | '1%' | '100%';

function withTracing(b: object, sampling: number, collectorPort: number): object {
  const boot = structuredClone(b) as { static_resources: { listeners: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[]; clusters: object[] } };
  boot.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config.tracing = {
    random_sampling: { value: sampling },
    provider: {
      name: 'envoy.tracers.zipkin',
      typed_config: { '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig', collector_cluster: 'zipkin', collector_endpoint: '/api/v2/spans', collector_endpoint_version: 'HTTP_JSON' },
    },
  };
  boot.static_resources.clusters.push({
    name: 'zipkin',
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: 'zipkin', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: collectorPort } } } }] }] },
  });
  return boot;
}

function wrk(port: number): Promise<{ rps: number; requests: number }> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${conns}`, `-d${durationS}s`, `http://127.0.0.1:${port}/`], (err, stdout) => {
      if (err !== null) return reject(err);
      resolve({ rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]), requests: Number(/(\d+) requests in/.exec(stdout)?.[1]) });
    });
  });
}

async function listen(handler: http.RequestListener): Promise<http.Server> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}
const portOf = (s: http.Server): number => (s.address() as { port: number }).port;

async function main(): Promise<void> {
  const app = await listen((_req, res) => res.end('ok'));
  let spans = 0;
  const collector = await listen((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      spans += (JSON.parse(body) as unknown[]).length;
      res.writeHead(202).end();
    });
  });
  const base = staticBootstrap(0, [`127.0.0.1:${portOf(app)}`]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-tracing-'));
  const results: Record<Mode, { rps: number[]; cpuUsPerReq: number[] }> = { off: { rps: [], cpuUsPerReq: [] }, '1%': { rps: [], cpuUsPerReq: [] }, '100%': { rps: [], cpuUsPerReq: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['off', '1%', '100%'] as const) {
      const boot = mode === 'off' ? base : withTracing(base, mode === '1%' ? 1 : 100, portOf(collector));
      const file = path.join(dir, `${mode}.json`);
      fs.writeFileSync(file, JSON.stringify(boot));
      const proxy = startTrellis('proxy', ['proxy', '-c', file]);
      const port = Number(await proxy.waitFor(/^listener bench listening on [\d.]+:(\d+)$/m, 15000));
      await wrk(port); // warm-up
      const cpu0 = cpuSecondsOf(proxy.pid);
      const res = await wrk(port);
      const cpu = cpuSecondsOf(proxy.pid) - cpu0;
      await proxy.stop();
      results[mode].rps.push(res.rps);
      results[mode].cpuUsPerReq.push((cpu * 1e6) / res.requests);
    }
  }
  const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = avg(results.off.rps);
  for (const mode of ['off', '1%', '100%'] as const) {
    const rps = avg(results[mode].rps);
    console.log(`${mode.padEnd(5)} ${rps.toFixed(0).padStart(6)} req/s (${(((rps - off) / off) * 100).toFixed(1)}%)  proxy CPU ${avg(results[mode].cpuUsPerReq).toFixed(1)} µs/request`);
  }
  console.log(`spans received by the collector: ${spans}`);
  app.close();
  collector.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
