// HTTP filters: registers envoy.filters.http.compressor.
import { registerHttpFilter } from '../../filter/registry.js';
import { COMPRESSOR_PER_ROUTE_TYPE, COMPRESSOR_TYPE, validateCompressor, validateCompressorPerRoute, type CompressorConfig } from './config.js';
import { compressorFilterFactory } from './filter.js';

registerHttpFilter<CompressorConfig>({
  typeUrl: COMPRESSOR_TYPE,
  names: ['envoy.filters.http.compressor'],
  validate: validateCompressor,
  perRoute: { [COMPRESSOR_PER_ROUTE_TYPE]: validateCompressorPerRoute },
  factory: compressorFilterFactory,
});
