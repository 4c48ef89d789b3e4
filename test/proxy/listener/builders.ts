// Test helpers: builds validated-config objects (Listener, FilterChain, HCM, tcp_proxy, TLS contexts) with Envoy defaults.
import http from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type {
  DownstreamTlsContext,
  FilterChain,
  FilterChainMatch,
  HttpConnectionManager,
  Listener,
  ListenerFilter,
  StringMatcher,
  SubjectAltNameMatcher,
  TcpProxy,
} from '../../../src/proxy/config/types.js';
import type { DownstreamConnectionInfo, HttpConnectionHandler } from '../../../src/proxy/http/types.js';

export function match(m: Partial<FilterChainMatch>): FilterChainMatch {
  return {
    prefix_ranges: [],
    direct_source_prefix_ranges: [],
    source_type: 'ANY',
    source_prefix_ranges: [],
    source_ports: [],
    server_names: [],
    application_protocols: [],
    ...m,
  };
}

export function hcm(statPrefix: string, codec: HttpConnectionManager['codec_type'] = 'AUTO'): HttpConnectionManager {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    codec_type: codec,
    stat_prefix: statPrefix,
    route_specifier: { kind: 'rds', route_config_name: 'r' },
    http_filters: [],
    use_remote_address: false,
    xff_num_trusted_hops: 0,
    skip_xff_append: false,
    generate_request_id: true,
    preserve_external_request_id: false,
    stream_idle_timeout: 300000,
    request_timeout: 0,
    request_headers_timeout: 0,
    max_request_headers_kb: 60,
    drain_timeout: 200,
    common_http_protocol_options: {},
    http_protocol_options: { accept_http_10: false },
    http2_protocol_options: {},
    upgrade_configs: [],
    server_name: 'envoy',
    server_header_transformation: 'OVERWRITE',
    access_log: [],
    normalize_path: false,
    merge_slashes: false,
  };
}

export function tcpProxy(statPrefix: string, spec: TcpProxy['cluster_specifier'], over: Partial<TcpProxy> = {}): TcpProxy {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    stat_prefix: statPrefix,
    cluster_specifier: spec,
    idle_timeout: 3600000,
    max_connect_attempts: 1,
    access_log: [],
    ...over,
  };
}

export function httpChain(name: string, m?: Partial<FilterChainMatch>, tls?: DownstreamTlsContext): FilterChain {
  return {
    name,
    filter_chain_match: m ? match(m) : undefined,
    filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm(name) }],
    transport_socket: tls ? { name: 'envoy.transport_sockets.tls', typed_config: tls } : undefined,
  };
}

export function tcpChain(name: string, cfg: TcpProxy, m?: Partial<FilterChainMatch>): FilterChain {
  return { name, filter_chain_match: m ? match(m) : undefined, filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: cfg }] };
}

const FILTER_NAMES = { tls_inspector: 'envoy.filters.listener.tls_inspector', http_inspector: 'envoy.filters.listener.http_inspector', original_dst: 'envoy.filters.listener.original_dst' };

export function listener(name: string, chains: FilterChain[], over: Partial<Listener> & { filters?: ListenerFilter['kind'][]; port?: number } = {}): Listener {
  const { filters = [], port = 0, ...rest } = over;
  return {
    name,
    address: { socket_address: { protocol: 'TCP', address: '127.0.0.1', port_value: port } },
    filter_chains: chains,
    listener_filters: filters.map((kind) => ({ name: FILTER_NAMES[kind], kind })),
    listener_filters_timeout: 2000,
    continue_on_listener_filters_timeout: false,
    per_connection_buffer_limit_bytes: 1048576,
    use_original_dst: false,
    traffic_direction: 'UNSPECIFIED',
    ...rest,
  };
}

export function exact(value: string): StringMatcher {
  return { kind: 'exact', value, ignore_case: false };
}

export function downstreamTls(
  pki: { serverCert: string; serverKey: string; caCert: string },
  o: { requireClient?: boolean; sans?: SubjectAltNameMatcher[]; alpn?: string[] } = {},
): DownstreamTlsContext {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    require_client_certificate: o.requireClient ?? false,
    common_tls_context: {
      tls_certificates: [{ certificate_chain: pki.serverCert, private_key: pki.serverKey }],
      validation_context:
        o.requireClient || o.sans
          ? { trusted_ca: pki.caCert, match_typed_subject_alt_names: o.sans ?? [], verify_certificate_spki: [], verify_certificate_hash: [] }
          : undefined,
      alpn_protocols: o.alpn ?? [],
      tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
      tls_certificate_sds_secret_configs: [],
    },
  };
}

export interface HandledConnection {
  chain: string;
  info: DownstreamConnectionInfo;
  protocol: 'h2' | 'http/1.1';
}

/**
 * A fake HCM: records what the listener handed over and serves it with a real Node http / http2
 * server that answers `<chain> <protocol> <path>`, so tests also prove the peeked bytes survived.
 */
export class FakeHttpHandlers {
  readonly seen: HandledConnection[] = [];
  readonly drained: string[] = [];
  private readonly servers: (http.Server | http2.Http2Server)[] = [];

  create = (_hcm: HttpConnectionManager, _l: Listener, chain: FilterChain): HttpConnectionHandler => {
    const name = chain.name;
    const h1 = http.createServer((req, res) => res.end(`${name} http/1.1 ${req.url}`));
    const h2 = http2.createServer();
    h2.on('stream', (s, headers) => {
      s.respond({ ':status': 200 });
      s.end(`${name} h2 ${headers[':path']}`);
    });
    this.servers.push(h1, h2);
    const sockets = new Set<Duplex>();
    return {
      handleConnection: (socket, info, protocol) => {
        this.seen.push({ chain: name, info, protocol });
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        (protocol === 'h2' ? h2 : h1).emit('connection', socket);
      },
      // Like a real HCM: resolves once its connections are gone or the timeout passes.
      drain: (timeoutMs) => {
        this.drained.push(name);
        return new Promise<void>((resolve) => {
          const t = setTimeout(resolve, timeoutMs);
          const check = (): void => {
            if (sockets.size === 0) {
              clearTimeout(t);
              resolve();
            } else setTimeout(check, 10);
          };
          check();
        });
      },
    };
  };

  last(): HandledConnection {
    const s = this.seen[this.seen.length - 1];
    if (!s) throw new Error('no connection handled');
    return s;
  }

  close(): void {
    for (const s of this.servers) s.close();
  }
}
