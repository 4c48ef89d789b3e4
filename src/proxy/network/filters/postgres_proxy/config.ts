// Network filters: envoy.filters.network.postgres_proxy config (PostgresProxy: stat prefix, SQL keyword parsing; no SSL
// termination or upstream SSL — those need the starttls transport socket, which trellis does not have).
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const POSTGRES_PROXY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy` as const;

export interface PostgresProxyConfig {
  readonly '@type': typeof POSTGRES_PROXY_TYPE;
  readonly stat_prefix: string;
  /** Count Query / Parse statements as queries_parsed or queries_parse_error (default true). */
  readonly enable_sql_parsing: boolean;
}

export function validatePostgresProxy(ctx: Ctx, body: Raw, path: string): PostgresProxyConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy',
    fields: ['stat_prefix', 'enable_sql_parsing', 'terminate_ssl', 'upstream_ssl', 'downstream_ssl'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const stat_prefix = m.reqStr('stat_prefix');
  if (m.bool('terminate_ssl') === true) m.err('terminate_ssl', 'terminate_ssl: true is not supported by trellis (no starttls transport socket)');
  for (const f of ['upstream_ssl', 'downstream_ssl'] as const) {
    const mode = m.enumOr(f, ['DISABLE', 'REQUIRE', 'ALLOW'], 'DISABLE');
    if (mode !== 'DISABLE') m.err(f, `${f}: ${mode} is not supported by trellis (no starttls transport socket); only DISABLE`);
  }
  const out: PostgresProxyConfig = { '@type': POSTGRES_PROXY_TYPE, stat_prefix, enable_sql_parsing: m.boolOr('enable_sql_parsing', true) };
  return ctx.errors.length === before ? out : undefined;
}
