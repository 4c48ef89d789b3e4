// Listener: compiles a Listener's filter chains once per update (matchers, TLS servers, network filter handlers).
import type { AccessLogger } from '../telemetry/access-log.js';
import type { Socket } from 'node:net';
import type { AccessLog, FilterChain, HttpConnectionManager, Listener, TcpProxy } from '../config/types.js';
import type { HttpConnectionHandler } from '../http/types.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { ClusterManager } from '../upstream/types.js';
import { TcpProxyFilter } from '../tcp/tcp-proxy.js';
import { compileChainMatch, type CompiledChainMatch } from './filter-chain-match.js';
import { TlsTerminator } from './tls-terminator.js';
import type { SecretManager } from '../tls/secret-manager.js';
import { NetworkFilterChain } from '../network/chain.js';
import { networkFilterByType, type NetworkFilterContext } from '../network/registry.js';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

export type Terminal =
  | { kind: 'http'; hcm: HttpConnectionManager; handler: HttpConnectionHandler }
  | { kind: 'tcp'; proxy: TcpProxyFilter }
  | { kind: 'none' }; // Envoy closes connections of a chain without filters

export interface CompiledFilterChain {
  readonly config: FilterChain;
  /** Structural identity: an unchanged chain keeps its handler and connections across updates. */
  readonly key: string;
  readonly match: CompiledChainMatch;
  readonly tls?: TlsTerminator;
  readonly terminal: Terminal;
  /** The non-terminal network filters before the terminal one; null when there are none. */
  readonly network: NetworkFilterChain | null;
  /** Raw sockets currently served by this chain (for drain on removal). */
  readonly connections: Set<Socket>;
}

export interface CompiledListener {
  readonly config: Listener;
  readonly chains: readonly CompiledFilterChain[];
  readonly defaultChain?: CompiledFilterChain;
  readonly tlsInspector: boolean;
  readonly httpInspector: boolean;
}

export interface CompileDeps {
  stats: StatsScope;
  clusterManager: ClusterManager;
  createHttpHandler(hcm: HttpConnectionManager, listener: Listener, chain: FilterChain): HttpConnectionHandler;
  /** Builds (and owns the lifetime of) access loggers, e.g. tcp_proxy's access_log. */
  accessLogger?(logs: readonly AccessLog[]): AccessLogger | null;
  /** What non-terminal network filters may use; without it a chain with such filters cannot be built. */
  networkFilters?: NetworkFilterContext;
  /** Secrets TLS contexts name through SDS. */
  secrets?: SecretManager;
}

export function chainKey(c: FilterChain): string {
  return JSON.stringify(c);
}

function compileTerminal(listener: Listener, chain: FilterChain, deps: CompileDeps): Terminal {
  // HCM and tcp_proxy are terminal filters; they are the last (usually only) filter of a chain.
  for (const f of chain.filters) {
    const t = f.typed_config;
    if (t['@type'] === HCM_TYPE) {
      const hcm = t as HttpConnectionManager;
      return { kind: 'http', hcm, handler: deps.createHttpHandler(hcm, listener, chain) };
    }
    if (t['@type'] === TCP_TYPE) {
      const pools = deps.networkFilters?.pools;
      return {
        kind: 'tcp',
        proxy: new TcpProxyFilter(t as TcpProxy, {
          clusterManager: deps.clusterManager,
          stats: deps.stats,
          accessLog: deps.accessLogger?.((t as TcpProxy).access_log) ?? null,
          ...(pools !== undefined ? { upstreamTls: (c, h) => pools.upstreamTls(c, h) } : {}),
        }),
      };
    }
  }
  return { kind: 'none' };
}

function compileNetworkFilters(chain: FilterChain, deps: CompileDeps): NetworkFilterChain | null {
  const factories = [];
  for (const f of chain.filters) {
    const type = networkFilterByType(f.typed_config['@type']);
    if (type === undefined) continue; // the terminal filter
    if (deps.networkFilters === undefined) throw new Error(`network filter ${f.name}: no filter context`);
    factories.push(type.factory(f.typed_config, deps.networkFilters));
  }
  return factories.length === 0 ? null : new NetworkFilterChain(factories);
}

/** `previous` chains whose key is unchanged are reused as is (same handler, same TLS server, same connections). */
export function compileListener(listener: Listener, deps: CompileDeps, previous: readonly CompiledFilterChain[]): CompiledListener {
  const reuse = new Map(previous.map((c) => [c.key, c]));
  const compileChain = (chain: FilterChain): CompiledFilterChain => {
    const key = chainKey(chain);
    const old = reuse.get(key);
    if (old) return old;
    const ts = chain.transport_socket;
    const compiled: CompiledFilterChain = {
      config: chain,
      key,
      match: compileChainMatch(chain.filter_chain_match),
      tls: ts ? new TlsTerminator(ts.typed_config, chain.transport_socket_connect_timeout, deps.secrets) : undefined,
      terminal: compileTerminal(listener, chain, deps),
      network: compileNetworkFilters(chain, deps),
      connections: new Set(),
    };
    reuse.set(key, compiled); // identical chains within one listener share one compiled form
    return compiled;
  };
  return {
    config: listener,
    chains: listener.filter_chains.map(compileChain),
    defaultChain: listener.default_filter_chain ? compileChain(listener.default_filter_chain) : undefined,
    tlsInspector: listener.listener_filters.some((f) => f.kind === 'tls_inspector'),
    httpInspector: listener.listener_filters.some((f) => f.kind === 'http_inspector'),
  };
}

/** Every distinct compiled chain of a listener, default included. */
export function allChains(l: CompiledListener): CompiledFilterChain[] {
  const set = new Set(l.chains);
  if (l.defaultChain) set.add(l.defaultChain);
  return [...set];
}
