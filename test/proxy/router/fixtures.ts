// Test helpers: builders for validated route config objects with Envoy's defaults filled in, and a seeded PRNG.
import type {
  Route,
  RouteAction,
  RouteConfiguration,
  RouteMatch,
  VirtualHost,
  RetryPolicy,
} from '../../../src/proxy/config/types.js';
import type { RouteRequest } from '../../../src/proxy/router/types.js';

export function match(m: Partial<RouteMatch> = {}): RouteMatch {
  return { path_specifier: { kind: 'prefix', value: '/' }, case_sensitive: true, headers: [], query_parameters: [], grpc: false, ...m };
}

export function action(a: Partial<RouteAction> = {}): RouteAction {
  return {
    cluster_specifier: { kind: 'cluster', name: 'c' },
    timeout: 15000,
    request_mirror_policies: [],
    hash_policy: [],
    upgrade_configs: [],
    ...a,
  };
}

const NO_HEADERS = {
  request_headers_to_add: [],
  request_headers_to_remove: [],
  response_headers_to_add: [],
  response_headers_to_remove: [],
};

export function route(r: Partial<Route> & { m?: Partial<RouteMatch>; a?: Partial<RouteAction> } = {}): Route {
  const { m, a, ...rest } = r;
  return {
    name: '',
    match: match(m),
    action: { kind: 'route', route: action(a) },
    typed_per_filter_config: {},
    ...NO_HEADERS,
    ...rest,
  };
}

export function vhost(v: Partial<VirtualHost>): VirtualHost {
  return {
    name: 'vh',
    domains: ['*'],
    routes: [],
    require_tls: 'NONE',
    retry_policy: undefined,
    hash_policy: [],
    typed_per_filter_config: {},
    ...NO_HEADERS,
    ...v,
  };
}

export function rc(r: Partial<RouteConfiguration>): RouteConfiguration {
  return { name: 'rc', virtual_hosts: [], internal_only_headers: [], ...NO_HEADERS, ...r };
}

export function retryPolicy(p: Partial<RetryPolicy>): RetryPolicy {
  return {
    retry_on: [],
    num_retries: 1,
    retriable_status_codes: [],
    retriable_headers: [],
    retriable_request_headers: [],
    host_selection_retry_max_attempts: 1,
    retry_previous_hosts: false,
    ...p,
  };
}

export function req(r: Partial<RouteRequest> = {}): RouteRequest {
  return { authority: 'example.com', path: '/', method: 'GET', headers: {}, scheme: 'http', ...r };
}

/** mulberry32: a small deterministic PRNG so proportions are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
