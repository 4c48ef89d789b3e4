// Network filters: envoy.filters.network.mysql_proxy config (MySQLProxy: a stat prefix).
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const MYSQL_PROXY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy` as const;

export interface MysqlProxyConfig {
  readonly '@type': typeof MYSQL_PROXY_TYPE;
  readonly stat_prefix: string;
}

export function validateMysqlProxy(ctx: Ctx, body: Raw, path: string): MysqlProxyConfig | undefined {
  // access_log: a file path Envoy documents as not implemented; accepted and ignored here too
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.network.mysql_proxy.v3.MySQLProxy', fields: ['stat_prefix'], ignored: ['access_log'] });
  if (m === undefined) return undefined;
  const stat_prefix = m.reqStr('stat_prefix');
  return stat_prefix === '' ? undefined : { '@type': MYSQL_PROXY_TYPE, stat_prefix };
}
