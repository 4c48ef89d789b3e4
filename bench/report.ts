// Benchmark: reads the peer benchmark's summary.json (and sidecar-memory.json beside it) and prints trellis's figures against the targets.
import fs from 'node:fs';
import path from 'node:path';
import type { SidecarMemoryReport } from './sidecar-memory.js';

interface Side {
  max: { rps: number; rpsPerVcpu: number };
  rate: { p99: number; vcpuPer1000: number; rssMb: number; errors: number };
}
const file = process.argv[2];
if (file === undefined) throw new Error('usage: node dist/bench/report.js SUMMARY.json [SIDECAR-MEMORY.json]');
const sidecarFile = process.argv[3] ?? path.join(path.dirname(file), 'sidecar-memory.json');
const sidecar = fs.existsSync(sidecarFile) ? (JSON.parse(fs.readFileSync(sidecarFile, 'utf8')) as SidecarMemoryReport) : undefined;
const { summary } = JSON.parse(fs.readFileSync(file, 'utf8')) as { summary: Record<string, Side> };
const t = summary.trellis;
const direct = summary.direct;
const nginx = summary.nginx;
if (t === undefined) throw new Error(`no trellis figures in ${file}`);

const f = (v: number | undefined, d = 2): string => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
const rows: string[][] = [['figure', 'trellis', 'baseline', 'ratio', 'target']];
if (nginx !== undefined) rows.push(['max throughput (req/s)', f(t.max.rps, 0), `nginx ${f(nginx.max.rps, 0)}`, f(t.max.rps / nginx.max.rps), '>= 0.50x nginx']);
if (nginx !== undefined) rows.push(['CPU per 1000 req/s (cores)', f(t.rate.vcpuPer1000, 3), `nginx ${f(nginx.rate.vcpuPer1000, 3)}`, f(t.rate.vcpuPer1000 / nginx.rate.vcpuPer1000), '<= 0.10 core']);
if (direct !== undefined) rows.push(['p99 latency at 1000 req/s (ms)', f(t.rate.p99, 3), `direct ${f(direct.rate.p99, 3)}`, `+${f(t.rate.p99 - direct.rate.p99, 3)} ms`, '<= +1 ms over direct']);
rows.push(['RSS at 1000 req/s (MB)', f(t.rate.rssMb, 1), nginx ? `nginx ${f(nginx.rate.rssMb, 1)}` : '-', nginx ? f(t.rate.rssMb / nginx.rate.rssMb) : '-', '<= 60 MB']);
if (sidecar !== undefined) {
  // same load generator, backend and run for both proxies (bench/sidecar-memory.ts)
  const at = `at ${sidecar.rate} req/s for ${sidecar.durationS} s`;
  const { static: s0, sidecar: s1 } = sidecar;
  rows.push(['sidecar RSS idle (MB)', f(s1.idle.rssMb, 1), `static ${f(s0.idle.rssMb, 1)}`, f(s1.idle.rssMb / s0.idle.rssMb), '-']);
  rows.push([`sidecar RSS ${at} (MB)`, f(s1.afterLoad.rssMb, 1), `static ${f(s0.afterLoad.rssMb, 1)}`, f(s1.afterLoad.rssMb / s0.afterLoad.rssMb), '<= 60 MB']);
  rows.push(['sidecar errors', String(s1.load.errors), '', '', '0']);
}
rows.push(['errors', String(t.rate.errors), '', '', '0']);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n');
