// HTTP API: runtime routes — analyze, connected proxies with their sync status, the config each was sent, metrics, readiness.
import { renderProcessMetrics } from '../telemetry/process-metrics.js';
import { analyze, parseDocuments, type Workload } from '../../api/index.js';
import type { MeshResource } from '../../api/types.js';
import { resourceKey } from '../../api/types.js';
import { toMeshResources } from '../snapshot/resources.js';
import { withRegisteredServices } from './registered-services.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, type Json, type XdsResource } from '../translate/generator.js';
import type { ApiDeps } from './deps.js';
import { VERSION } from '../../common/version.js';
import { HttpError, ok, optionalString, readJsonObject } from './io.js';
import { findConnection, proxyList, proxyView, type ProxyView } from './proxy-view.js';
import { askPeers } from '../cluster/peer-api.js';
import { sidecarPorts, withPorts } from './workload-ports.js';
import type { Handler, Router } from './router.js';

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/**
 * The host part of a Host header (`[::1]:15014` → `::1`): a DNS name, an IPv4 address or a bracketed IPv6 one, with
 * an optional port; undefined for anything else, so a hostile header never becomes part of an address we hand out.
 */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 260) return undefined;
  const m = /^\[([0-9A-Fa-f:.]{2,45})\](?::\d{1,5})?$/.exec(header) ?? /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$/.exec(header);
  return m?.[1];
}

const CONFIG_TYPES: Readonly<Record<string, string>> = {
  listeners: LISTENER_TYPE,
  routes: ROUTE_TYPE,
  clusters: CLUSTER_TYPE,
  endpoints: ENDPOINT_TYPE,
};

/** Route configurations as the proxy holds them: VHDS virtual hosts (`<config>/<vhost>`) merged back into their config. */
export function mergeVhds(routes: readonly XdsResource[], vhosts: readonly XdsResource[]): Json[] {
  return routes.map((rc) => {
    const prefix = `${rc.name}/`;
    const extra = vhosts
      .filter((v) => v.name.startsWith(prefix))
      .map((v) => {
        const { '@type': _type, ...vh } = v.resource;
        return { ...vh, name: v.name.slice(prefix.length) };
      });
    if (extra.length === 0) return rc.resource;
    const inline = Array.isArray(rc.resource.virtual_hosts) ? rc.resource.virtual_hosts : [];
    return { ...rc.resource, virtual_hosts: [...inline, ...extra] };
  });
}

/** POST /api/v1/analyze: the stored config plus the given text, analyzed with the registered workloads. */
function analyzeRoute(deps: ApiDeps): Handler {
  return async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const text = optionalString(body, 'text');
    const byKey = new Map<string, MeshResource>();
    for (const r of withRegisteredServices(toMeshResources(await deps.store.list()), deps.snapshot())) byKey.set(resourceKey(r), r);
    if (text !== undefined) {
      // invalid specs are the analyzer's to report (IST0106); only unreadable documents stop it
      const parsed = parseDocuments(text);
      if (parsed.errors.length > 0) throw new HttpError(400, 'invalid documents', parsed.errors);
      for (const r of parsed.resources) byKey.set(resourceKey(r), r);
    }
    const ports = sidecarPorts(deps.ads.connected());
    const workloads: Workload[] = deps.registry.workloads().map((w) => withPorts({ labels: { ...w.labels }, namespace: w.namespace, name: w.name }, ports.get(w.key)));
    return ok({ messages: analyze([...byKey.values()], workloads.length > 0 ? workloads : undefined, deps.snapshot().mesh) });
  };
}

export function addStatusRoutes(router: Router, deps: ApiDeps): void {
  // analyzing changes nothing: open like a read (no credential, no write checks)
  router.add('POST', '/api/v1/analyze', analyzeRoute(deps), { readOnly: true });

  const localProxies = (): Array<ProxyView & { controlPlane?: string }> => {
    const streams = new Map(deps.ads.connected().map((p) => [p.connId, p]));
    const self = deps.replicas?.self();
    const out = [];
    for (const s of deps.ads.proxies()) {
      const p = streams.get(s.connId);
      if (p !== undefined) out.push({ ...proxyView(s, p, deps.ca), ...(self !== undefined ? { controlPlane: self } : {}) });
    }
    return out;
  };
  // replicas sharing a store: every replica's proxies, each naming the replica it is connected to (istioctl's ISTIOD
  // column); `scope=local` is what one replica asks another
  router.add('GET', '/api/v1/proxies', async ({ query }) => {
    const local = localProxies();
    if (deps.replicas === undefined || query.get('scope') === 'local') return ok(local);
    const asked = await askPeers(await deps.replicas.peers().catch(() => []), '/api/v1/proxies?scope=local', deps.replicas.token, proxyList);
    return ok([...local, ...asked.answers.flatMap((a) => a.body)]);
  });

  router.add('GET', '/api/v1/proxies/:id/config/:type', async ({ params, query }) => {
    const conn = findConnection(deps.ads.connected(), params.id!);
    if (conn === undefined) {
      // connected to another replica: that replica has what it was sent
      if (deps.replicas !== undefined && query.get('scope') !== 'local') {
        const path = `/api/v1/proxies/${encodeURIComponent(params.id!)}/config/${encodeURIComponent(params.type!)}?scope=local`;
        const asked = await askPeers(await deps.replicas.peers().catch(() => []), path, deps.replicas.token, (v) => v);
        if (asked.answers.length > 0) return ok(asked.answers[0]!.body);
      }
      throw new HttpError(404, `no connected proxy "${params.id}"`);
    }
    const sent = (typeUrl: string): unknown[] => {
      const got = deps.lastSent(conn.connId, typeUrl) ?? [];
      return typeUrl === ROUTE_TYPE ? mergeVhds(got, deps.lastSent(conn.connId, VIRTUAL_HOST_TYPE) ?? []) : got.map((r) => r.resource);
    };
    const type = params.type!;
    if (type === 'all') {
      return ok(Object.fromEntries(Object.entries(CONFIG_TYPES).map(([name, url]) => [name, sent(url)])));
    }
    const url = CONFIG_TYPES[type];
    if (url === undefined) throw new HttpError(404, `unknown config type "${type}" (listeners, routes, clusters, endpoints or all)`);
    return ok(sent(url));
  });

  router.add('GET', '/metrics', async () => {
    const lines = [
      deps.xdsMetrics().trimEnd(),
      deps.ca.metrics.render().trimEnd(),
      '# HELP pilot_services Total services known to pilot.',
      '# TYPE pilot_services gauge',
      `pilot_services ${deps.snapshot().services.length}`,
      '# HELP trellis_config_revision The config store revision the control plane serves.',
      '# TYPE trellis_config_revision gauge',
      `trellis_config_revision ${await deps.store.revision()}`,
      renderProcessMetrics().trimEnd(),
    ];
    return { status: 200, text: lines.join('\n') + '\n', contentType: 'text/plain; version=0.0.4; charset=utf-8' };
  });

  // not a secret: every peer must have the roots to verify the mesh's certificates
  router.add('GET', '/api/v1/ca/root', () => ok({ trustDomain: deps.ca.trustDomain, rootsPem: deps.ca.rootsPem() }));

  // what a process injector needs to bootstrap a sidecar (Istio's discoveryAddress); a wildcard bind answers with the host the caller used
  router.add('GET', '/api/v1/mesh', ({ req }) => {
    const d = deps.discovery;
    if (d === undefined) throw new HttpError(404, 'this control plane serves no authenticated xDS port');
    const host = WILDCARD.has(d.host) ? hostOf(req.headers.host) ?? '127.0.0.1' : d.host;
    return ok({ trustDomain: deps.ca.trustDomain, discoveryAddress: `${host.includes(':') ? `[${host}]` : host}:${d.tlsPort}`, version: VERSION });
  });

  router.add('GET', '/ready', () => (deps.ready() ? { status: 200, text: 'ready\n' } : { status: 503, text: 'not ready\n' }));
}
