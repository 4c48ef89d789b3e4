// Network filters: registers envoy.filters.network.kafka_broker.
import { registerNetworkFilter } from '../../registry.js';
import { KAFKA_BROKER_TYPE, validateKafkaBroker, type KafkaBrokerConfig } from './config.js';
import { kafkaBrokerFactory } from './filter.js';

registerNetworkFilter<KafkaBrokerConfig>({
  typeUrl: KAFKA_BROKER_TYPE,
  names: ['envoy.filters.network.kafka_broker'],
  validate: validateKafkaBroker,
  factory: kafkaBrokerFactory,
});
