// Benchmark: ns/op of RouteTable.match() on a 50-vhost × 20-route table (plain script, not a test).
import { compileRouteTable } from '../src/proxy/router/index.js';
import type { Route, RouteConfiguration, VirtualHost } from '../src/proxy/config/types.js';
import type { RouteRequest } from '../src/proxy/router/types.js';

const NONE = { request_headers_to_add: [], request_headers_to_remove: [], response_headers_to_add: [], response_headers_to_remove: [] };

function mkRoute(v: number, r: number): Route {
  const kinds = ['prefix', 'path', 'prefix', 'safe_regex', 'path_separated_prefix'] as const;
  const kind = kinds[r % kinds.length]!;
  const base = `/svc${v}/api${r}`;
  const path_specifier =
    kind === 'safe_regex' ? { kind, regex: `${base}/[0-9]+` } : { kind, value: kind === 'path' ? `${base}/exact` : base };
  return {
    name: `r${v}-${r}`,
    match: {
      path_specifier,
      case_sensitive: r % 7 !== 0,
      headers:
        r % 4 === 2
          ? [{ name: 'x-version', string_match: { kind: 'exact', value: 'v2', ignore_case: false }, invert_match: false, treat_missing_header_as_empty: false }]
          : [],
      query_parameters: [],
      grpc: false,
    },
    action: {
      kind: 'route',
      route: {
        cluster_specifier: { kind: 'cluster', name: `c${v}-${r}` },
        timeout: 15000,
        request_mirror_policies: [],
        hash_policy: [],
        upgrade_configs: [],
      },
    },
    typed_per_filter_config: {},
    ...NONE,
  };
}

function mkVhost(v: number): VirtualHost {
  const domains = v % 3 === 0 ? [`*.svc${v}.example.com`] : [`svc${v}.example.com`, `svc${v}.example.com:8080`, `svc${v}`];
  return {
    name: `vh${v}`,
    domains,
    routes: Array.from({ length: 20 }, (_, r) => mkRoute(v, r)),
    require_tls: 'NONE',
    hash_policy: [],
    typed_per_filter_config: {},
    ...NONE,
  };
}

const config: RouteConfiguration = {
  name: 'bench',
  virtual_hosts: [...Array.from({ length: 50 }, (_, v) => mkVhost(v)), { ...mkVhost(99), domains: ['*'] }],
  internal_only_headers: [],
  ...NONE,
};

const table = compileRouteTable(config);

function mkReq(v: number, r: number, i: number): RouteRequest {
  const authority = v % 3 === 0 ? `api.svc${v}.example.com` : i % 2 ? `svc${v}.example.com:8080` : `svc${v}`;
  const kind = r % 5;
  const base = `/svc${v}/api${r}`;
  const path = kind === 1 ? `${base}/exact` : kind === 3 ? `${base}/123` : `${base}/x?q=${i}`;
  return { authority, path, method: 'GET', headers: { 'x-version': 'v2', 'user-agent': 'bench' }, scheme: 'http' };
}

// A fixed set of requests spread over hosts and route positions (first, middle, last).
const reqs: RouteRequest[] = [];
for (let i = 0; i < 1000; i++) reqs.push(mkReq((i * 7) % 50, (i * 13) % 20, i));
const miss: RouteRequest = { authority: 'svc1', path: '/nope', method: 'GET', headers: {}, scheme: 'http' };

function run(label: string, list: readonly RouteRequest[], iterations: number): void {
  let hits = 0;
  for (let i = 0; i < 20000; i++) if (table.match(list[i % list.length]!)) hits++; // warm-up
  hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) if (table.match(list[i % list.length]!)) hits++;
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(`${label.padEnd(34)} ${ns.toFixed(1).padStart(8)} ns/op  (hits ${hits}/${iterations})`);
}

console.log('router match: 50 vhosts × 20 routes');
run('mixed hosts/routes', reqs, 2_000_000);
run('miss (404 NR, scans all 20 routes)', [miss], 1_000_000);
run('first route of first host', [mkReq(1, 0, 0)], 2_000_000);
run('safe_regex route hit (4th route)', [mkReq(1, 3, 0)], 2_000_000);
run('safe_regex prefix ok, regex fails', [{ ...mkReq(1, 3, 0), path: '/svc1/api3/12x' }], 2_000_000);
