// Network filters: envoy.filters.network.mysql_proxy — a pass-through sniffer counting sessions, logins and queries.
import type { NetworkFilterFactory } from '../../api.js';
import type { NetworkFilterContext } from '../../registry.js';
import { snifferFilter } from '../../sniff/sniffer-filter.js';
import { statPrefixSegments } from '../../../rbac/stats.js';
import { MysqlDecoder, type MysqlCounters } from './decoder.js';
import type { MysqlProxyConfig } from './config.js';

export function mysqlProxyFactory(config: MysqlProxyConfig, ctx: NetworkFilterContext): NetworkFilterFactory {
  const s = ctx.stats.scope('mysql', ...statPrefixSegments(config.stat_prefix));
  const c: MysqlCounters = {
    sessions: s.counter('sessions'),
    loginAttempts: s.counter('login_attempts'),
    loginFailures: s.counter('login_failures'),
    decoderErrors: s.counter('decoder_errors'),
    protocolErrors: s.counter('protocol_errors'),
    upgradedToSsl: s.counter('upgraded_to_ssl'),
    authSwitchRequest: s.counter('auth_switch_request'),
    queriesParsed: s.counter('queries_parsed'),
    queriesParseError: s.counter('queries_parse_error'),
  };
  return () =>
    snifferFilter(new MysqlDecoder(c), {
      onNewConnection: () => c.sessions.inc(),
      onDecoderError: () => c.decoderErrors.inc(),
    });
}
