// CLI: `trellis explain --from WORKLOAD [METHOD] URL [-H 'name: value']…` — why a request from that sidecar goes
// where it goes, or fails: a one-line answer first, then the decision chain, computed by the proxy's own router and
// RBAC engine on the xDS each sidecar on the path holds.
import type { Command } from 'commander';
import type { RouteRequest } from '../../proxy/router/types.js';
import { ApiClient, UsageError, withServerFlags, type ServerFlags } from '../client.js';
import type { Io } from '../io.js';
import { guarded } from '../run.js';
import { resolveProxy } from '../proxy-names.js';
import type { ProxyInfo } from '../api-types.js';
import { fetchProxyXds } from './xds-view.js';
import { traceOutbound, type ClusterView, type OutboundTrace } from './outbound.js';
import { traceInbound, type InboundTrace } from './inbound.js';

interface ExplainFlags extends ServerFlags {
  from?: string;
  header: string[];
  output?: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/** `GET http://reviews:9080/x` (the method is optional) and -H lines, as the sidecar's router sees the request. */
export function parseRequest(first: string, second: string | undefined, headers: readonly string[]): { req: RouteRequest; port: number; url: URL } {
  const method = second !== undefined ? first.toUpperCase() : 'GET';
  if (!METHODS.has(method)) throw new UsageError(`"${first}" is not an HTTP method`);
  const text = second ?? first;
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `http://${text}`);
  } catch {
    throw new UsageError(`"${text}" is not a URL (e.g. http://reviews:9080/reviews/0)`);
  }
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const map: Record<string, string> = {};
  for (const h of headers) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`-H "${h}" is not "name: value"`);
    map[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const authority = map.host ?? url.host;
  return { req: { authority, path: `${url.pathname}${url.search}`, method, headers: { ...map, host: authority }, scheme: url.protocol === 'https:' ? 'https' : 'http' }, port, url };
}

interface Destination {
  proxy: string;
  endpoint: string;
  inbound: InboundTrace;
}

/** The one-line answer: where it goes, or the first reason it fails (the two questions asked most: why 503/404, which policy denied). */
export function verdict(out: OutboundTrace, dests: readonly Destination[]): string {
  if (out.listener === undefined) return '✗ refused: this proxy has no listener for the request';
  if (out.routeConfig === undefined) return `✗ listener ${out.listener.name} does not route HTTP`;
  if (out.virtualHost === undefined) return `✗ 404 (NR): no virtual host of route configuration "${out.routeConfig}" serves this authority`;
  if (out.route === undefined) return `✗ 404 (NR): no route of virtual host ${out.virtualHost.name} matches (${out.steps.map((s) => s.mismatch).filter(Boolean).join('; ') || 'it has no routes'})`;
  const via = out.route.step.source !== undefined ? ` by ${out.route.step.source}` : '';
  if (out.route.action === 'direct_response') return `→ answered by the sidecar itself${via} (direct response)`;
  if (out.route.action === 'redirect') return `→ redirected${via}`;
  const abort = faultOf(out.route.raw)?.abort;
  if (abort !== undefined && abort.percent >= 100) return `✗ ${abort.status}: fault injection${via} aborts every such request`;
  if (out.clusters.length === 0) return `✗ 503: the route${via} names no cluster`;
  const missing = out.clusters.find((c) => !c.found);
  if (missing !== undefined) {
    const why = missing.subset !== undefined ? ` (no DestinationRule for ${missing.service?.replace(/:\d+$/, '') ?? 'the host'} defines subset ${missing.subset})` : '';
    return `✗ 503 (NC): cluster ${missing.name} is unknown to this sidecar${why}`;
  }
  const empty = out.clusters.find((c) => c.endpoints.length === 0 && (c.weight === undefined || c.weight > 0));
  if (empty !== undefined) return `✗ 503 (UH): ${describeCluster(empty)} has no endpoints${empty.subset !== undefined ? ` (no workload has subset ${empty.subset}'s labels)` : ''}`;
  const refused = dests.find((d) => d.inbound.refused !== undefined);
  if (refused !== undefined) return `✗ reset: ${refused.proxy}: ${refused.inbound.refused}`;
  const denied = dests.find((d) => !d.inbound.allowed);
  if (denied !== undefined) {
    const step = denied.inbound.steps.find((s) => s.outcome === 'denied')!;
    const why = step.action === 'DENY' ? `denied by ${step.policies.find((p) => p.matched)?.policy ?? 'a DENY policy'}` : `no ALLOW policy matches (${step.policies.length === 0 ? 'an ALLOW policy without rules denies everything' : step.policies.map((p) => p.policy).join(', ')})`;
    return `✗ 403 (RBAC: access denied) at ${denied.proxy}: ${why}`;
  }
  const targets = out.clusters.filter((c) => c.weight === undefined || c.weight > 0).map((c) => `${describeCluster(c)}${c.weight !== undefined ? ` (weight ${c.weight})` : ''}`);
  const partial = abort !== undefined ? `; fault injection aborts ${abort.percent}% with ${abort.status}` : '';
  return `→ ${targets.join(', ')}${via}${partial}`;
}

function describeCluster(c: ClusterView): string {
  return c.service !== undefined ? `${c.service}${c.subset !== undefined ? ` subset ${c.subset}` : ''}` : `cluster ${c.name}`;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** Envoy's HTTPFault per route: abort status and share, delay and share. */
function faultOf(route: Json): { abort?: { status: number; percent: number }; delay?: { fixed: string; percent: number } } | undefined {
  const f = obj(obj(route.typed_per_filter_config)?.['envoy.filters.http.fault']);
  if (f === undefined) return undefined;
  const pct = (p: unknown): number => {
    const x = obj(p);
    const n = Number(x?.numerator ?? 0);
    const d = x?.denominator === 'TEN_THOUSAND' ? 10_000 : x?.denominator === 'MILLION' ? 1_000_000 : 100;
    return (n / d) * 100;
  };
  const a = obj(f.abort);
  const d = obj(f.delay);
  return {
    ...(a !== undefined ? { abort: { status: Number(a.http_status ?? (a.grpc_status !== undefined ? 200 : 0)), percent: pct(a.percentage) } } : {}),
    ...(d !== undefined ? { delay: { fixed: String(d.fixed_delay ?? ''), percent: pct(d.percentage) } } : {}),
  };
}

/** The calling sidecar's view of its hosts (outlier ejections, active health checks), when its admin port answers here. */
async function hostStates(proxy: ProxyInfo): Promise<Map<string, string> | undefined> {
  if (proxy.ports?.admin === undefined) return undefined;
  try {
    const res = await fetch(`http://${proxy.address ?? '127.0.0.1'}:${proxy.ports.admin}/clusters?format=json`, { signal: AbortSignal.timeout(1500) });
    const body = (await res.json()) as { cluster_statuses?: { name: string; host_statuses?: { address: { socket_address: { address: string; port_value: number } }; health_status?: Json }[] }[] };
    const out = new Map<string, string>();
    for (const c of body.cluster_statuses ?? []) {
      for (const h of c.host_statuses ?? []) {
        const hs = h.health_status ?? {};
        const flags = [hs.failed_outlier_check === true ? 'ejected by outlier detection' : '', hs.failed_active_health_check === true ? 'failing active health checks' : ''].filter(Boolean);
        out.set(`${c.name} ${h.address.socket_address.address}:${h.address.socket_address.port_value}`, flags.length > 0 ? flags.join(', ') : 'ok');
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

function print(io: Io, title: string, out: OutboundTrace, dests: readonly Destination[], states: Map<string, string> | undefined): void {
  const line = (label: string, text: string): void => io.out(`${label.padEnd(13)} ${text}\n`);
  io.out(`${title}\n${verdict(out, dests)}\n\n`);
  if (out.listener === undefined) return;
  line('listener', `${out.listener.name} ${out.listener.address}:${out.listener.port}${out.routeConfig !== undefined ? ` → route configuration "${out.routeConfig}"` : ''}`);
  if (out.virtualHost === undefined) return;
  line('virtual host', `${out.virtualHost.name} (domains ${out.virtualHost.domains.slice(0, 6).join(', ')}${out.virtualHost.domains.length > 6 ? ', …' : ''})`);
  for (const s of out.steps) {
    const name = `#${s.index}${s.name !== '' ? ` ${s.name}` : ''}${s.source !== undefined ? ` (${s.source})` : ''}`;
    line(s === out.steps[0] ? 'routes' : '', s.mismatch !== undefined ? `${name}: no — ${s.mismatch}` : `${name}: MATCHES${s.fraction !== undefined ? ` for ${(s.fraction * 100).toFixed(1)}% of requests (runtime_fraction)` : ''}`);
  }
  if (out.route === undefined) return;
  const r = obj(out.route.raw.route) ?? {};
  const applies: string[] = [];
  applies.push(`timeout ${typeof r.timeout === 'string' && r.timeout !== '0s' ? r.timeout : 'none'}`);
  const retry = obj(r.retry_policy);
  applies.push(retry !== undefined ? `retries ${String(retry.num_retries ?? 1)} on ${String(retry.retry_on ?? '')}${retry.per_try_timeout !== undefined ? ` (per try ${String(retry.per_try_timeout)})` : ''}` : 'no retries');
  const fault = faultOf(out.route.raw);
  if (fault?.delay !== undefined) applies.push(`fault: ${fault.delay.fixed} delay for ${fault.delay.percent}%`);
  if (fault?.abort !== undefined) applies.push(`fault: abort ${fault.abort.status} for ${fault.abort.percent}%`);
  const mirrors = Array.isArray(r.request_mirror_policies) ? r.request_mirror_policies.map((m) => String(obj(m)?.cluster ?? '')) : [];
  if (mirrors.length > 0) applies.push(`mirrored to ${mirrors.join(', ')}`);
  if (typeof r.prefix_rewrite === 'string') applies.push(`path rewritten to prefix ${r.prefix_rewrite}`);
  line('applies', applies.join(' · '));
  for (const c of out.clusters) {
    const parts = [c.name, c.weight !== undefined ? `weight ${c.weight}` : '', c.source ?? '', c.lbPolicy !== undefined ? `LB ${c.lbPolicy}` : '', c.outlierDetection ? 'outlier detection on' : '', c.limits.join(', ')];
    line('cluster', c.found ? parts.filter(Boolean).join(' · ') : `${c.name} — NOT KNOWN to this sidecar`);
    for (const e of c.endpoints) {
      const state = states?.get(`${c.name} ${e.address}:${e.port}`) ?? (states === undefined ? 'outlier state unknown (admin port not reachable)' : 'ok');
      const dest = dests.find((d) => d.endpoint === `${e.address}:${e.port}`);
      line('  endpoint', `${e.address}:${e.port} ${e.health} · ${state} · ${e.mtls ? `mTLS, expects ${c.identities.join(' or ') || 'a mesh identity'}` : 'plaintext'}${dest !== undefined ? ` · ${dest.proxy}` : ''}`);
    }
  }
  for (const d of dests) {
    const i = d.inbound;
    line('destination', `${d.proxy}: ${i.listener ?? '-'} · mTLS mode ${i.mode ?? '-'}${i.chain !== undefined ? ` · chain ${i.chain}` : ''}${i.refused !== undefined ? ` · ${i.refused}` : ''}`);
    if (i.refused === undefined && i.steps.length === 0) line('  authz', 'no AuthorizationPolicy applies: allowed');
    for (const s of i.steps) {
      const pol = s.policies.length === 0 ? '(no rules: matches nothing)' : s.policies.map((p) => `${p.policy} ${p.matched ? 'matches' : 'does not match'}`).join('; ');
      line('  authz', `${s.action}${s.dryRun ? ' (dry run)' : ''}: ${pol} → ${s.outcome}`);
    }
    for (const n of i.notes) line('  note', n);
  }
}

async function explain(first: string, second: string | undefined, flags: ExplainFlags, io: Io): Promise<void> {
  if (flags.from === undefined) throw new UsageError('explain needs --from WORKLOAD (the sidecar that sends the request: a name from `trellis proxy-status`)');
  const { req, port } = parseRequest(first, second, flags.header);
  const api = new ApiClient(flags, io);
  const proxies = await api.get<ProxyInfo[]>('/api/v1/proxies');
  const from = resolveProxy(proxies, flags.from);
  const mesh = await api.get<{ trustDomain: string }>('/api/v1/mesh').catch(() => ({ trustDomain: 'cluster.local' }));
  const identity = from.identity ?? (from.serviceAccount !== undefined ? `spiffe://${mesh.trustDomain}/ns/${from.namespace}/sa/${from.serviceAccount}` : undefined);
  const xds = await fetchProxyXds(api, from.id);
  const out = traceOutbound(xds, { type: from.type ?? 'sidecar', outboundPort: from.ports?.outbound ?? 15001 }, req, port);
  const dests: Destination[] = [];
  for (const c of out.clusters) {
    for (const e of c.endpoints) {
      const dest = proxies.find((p) => p.ports?.inbound === e.port && (p.address === e.address || e.address === '127.0.0.1'));
      if (dest === undefined || dests.some((d) => d.endpoint === `${e.address}:${e.port}`)) continue;
      const inbound = traceInbound(await fetchProxyXds(api, dest.id), e.port, e.mtls, identity, req);
      dests.push({ proxy: dest.name ?? dest.id, endpoint: `${e.address}:${e.port}`, inbound });
    }
  }
  if (flags.output === 'json') return io.out(`${JSON.stringify({ from: from.name ?? from.id, identity, verdict: verdict(out, dests), outbound: out, destinations: dests }, null, 2)}\n`);
  print(io, `${req.method} ${req.scheme}://${req.authority}${req.path} from ${from.name ?? from.id}${identity !== undefined ? ` (${identity})` : ''}`, out, dests, await hostStates(from));
  for (const r of xds.refused) io.err(`note: this sidecar's copy of ${r} does not validate (the proxy NACKed it)\n`);
}

export function registerExplainCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('explain')
      .description("why a request goes where it goes, or fails: the sidecar's own decision chain (listener, route, cluster, endpoints, mTLS, authorization)")
      .argument('<method-or-url>', 'the HTTP method (default GET), or the URL')
      .argument('[url]', 'the URL as the app would call it, e.g. http://reviews:9080/reviews/0')
      .requiredOption('--from <workload>', 'the sidecar sending it: pod.namespace, pod, WORKLOAD.NAMESPACE or a unique prefix')
      .option('-H, --header <line>', 'a request header, "name: value" (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
      .option('-o, --output <format>', 'json for the whole trace'),
  ).action(guarded(io, (first: string, second: string | undefined, flags: ExplainFlags) => explain(first, second, flags, io)));
}
