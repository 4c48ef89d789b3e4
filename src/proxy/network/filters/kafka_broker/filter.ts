// Network filters: envoy.filters.network.kafka_broker — a pass-through sniffer counting kafka.<stat_prefix>.request.*
// and response.* per API (with response times), every metric made once per filter chain as Envoy does.
import type { NetworkFilterFactory } from '../../api.js';
import type { NetworkFilterContext } from '../../registry.js';
import { snifferFilter } from '../../sniff/sniffer-filter.js';
import { statPrefixSegments } from '../../../rbac/stats.js';
import { KafkaDecoder, type KafkaCounters } from './decoder.js';
import { KAFKA_API_NAMES } from './api-keys.js';
import type { KafkaBrokerConfig } from './config.js';

export function kafkaBrokerFactory(config: KafkaBrokerConfig, ctx: NetworkFilterContext): NetworkFilterFactory {
  const s = ctx.stats.scope('kafka', ...statPrefixSegments(config.stat_prefix));
  const req = s.scope('request');
  const res = s.scope('response');
  const c: KafkaCounters = {
    apis: KAFKA_API_NAMES.map((n) => ({
      request: req.counter(`${n}_request`),
      response: res.counter(`${n}_response`),
      responseDuration: res.histogram(`${n}_response_duration`),
    })),
    requestUnknown: req.counter('unknown'),
    requestFailure: req.counter('failure'),
    responseUnknown: res.counter('unknown'),
    responseFailure: res.counter('failure'),
  };
  return () => snifferFilter(new KafkaDecoder(c), { onDecoderError: (fromClient) => (fromClient ? c.requestFailure : c.responseFailure).inc() });
}
