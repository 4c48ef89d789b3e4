// Network filters: envoy.filters.network.kafka_broker config (KafkaBroker: a stat prefix; response rewriting and
// api_key filtering, which would change the bytes or drop requests, are rejected).
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const KAFKA_BROKER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker` as const;

export interface KafkaBrokerConfig {
  readonly '@type': typeof KAFKA_BROKER_TYPE;
  readonly stat_prefix: string;
}

export function validateKafkaBroker(ctx: Ctx, body: Raw, path: string): KafkaBrokerConfig | undefined {
  // id_based_broker_address_rewrite_spec, api_keys_allowed, api_keys_denied are left out: rejected by name
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.network.kafka_broker.v3.KafkaBroker', fields: ['stat_prefix', 'force_response_rewrite'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const stat_prefix = m.reqStr('stat_prefix');
  if (m.bool('force_response_rewrite') === true) m.err('force_response_rewrite', 'force_response_rewrite: true is not supported by trellis (responses pass through as received)');
  return ctx.errors.length === before ? { '@type': KAFKA_BROKER_TYPE, stat_prefix } : undefined;
}
