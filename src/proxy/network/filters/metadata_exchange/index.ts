// Network filters: registers Istio's istio.metadata_exchange (TCP peer metadata exchange over ALPN).
import { registerNetworkFilter } from '../../registry.js';
import { METADATA_EXCHANGE_NAMES, METADATA_EXCHANGE_TYPE, validateMetadataExchange, type MetadataExchangeConfig } from './config.js';
import { metadataExchangeFactory } from './filter.js';

registerNetworkFilter<MetadataExchangeConfig>({
  typeUrl: METADATA_EXCHANGE_TYPE,
  names: [...METADATA_EXCHANGE_NAMES],
  validate: validateMetadataExchange,
  factory: metadataExchangeFactory,
});
