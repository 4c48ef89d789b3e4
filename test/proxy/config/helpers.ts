// Test helpers for the config validators: a minimal valid bootstrap to mutate, and error lookups.
import type { ConfigError, Result } from '../../../src/common/result.js';

export type J = Record<string, unknown>;

export const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };

export function staticCluster(name: string, port: number): J {
  return {
    name,
    type: 'STATIC',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  };
}

/** A small valid bootstrap: one HCM listener with one route to cluster "a", clusters "a" and "b". */
export function base(): J {
  return structuredClone({
    static_resources: {
      listeners: [
        {
          name: 'l0',
          address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': HCM_TYPE,
                    stat_prefix: 'in',
                    route_config: { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a' } }] }] },
                    http_filters: [ROUTER],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [staticCluster('a', 19001), staticCluster('b', 19002)],
    },
  });
}

/** Path prefixes into base(). */
export const HCM = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
export const VH0 = `${HCM}.route_config.virtual_hosts[0]`;
export const R0 = `${VH0}.routes[0]`;

function steps(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[1]));
  return out;
}

/** Reads the value at a dotted path like `static_resources.clusters[0].name`. */
export function get(root: unknown, path: string): unknown {
  let cur = root;
  for (const s of steps(path)) cur = (cur as Record<string | number, unknown>)[s];
  return cur;
}

/** Sets (or, with value undefined, deletes) the value at a dotted path, creating objects on the way. */
export function set(root: J, path: string, value: unknown): J {
  const st = steps(path);
  let cur = root as Record<string | number, unknown>;
  for (const s of st.slice(0, -1)) {
    if (cur[s] === undefined) cur[s] = {};
    cur = cur[s] as Record<string | number, unknown>;
  }
  const last = st[st.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return root;
}

export function errorsOf<T>(r: Result<T>): ConfigError[] {
  return r.ok ? [] : r.errors;
}

export function describeErrors(errs: readonly ConfigError[]): string {
  return errs.map((e) => `  ${e.path}: ${e.message}`).join('\n');
}
