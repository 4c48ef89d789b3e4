// HTTP filters: registers envoy.filters.http.decompressor.
import { registerHttpFilter } from '../../filter/registry.js';
import { DECOMPRESSOR_TYPE, validateDecompressor, type DecompressorConfig } from './config.js';
import { decompressorFilterFactory } from './filter.js';

registerHttpFilter<DecompressorConfig>({
  typeUrl: DECOMPRESSOR_TYPE,
  names: ['envoy.filters.http.decompressor'],
  validate: validateDecompressor,
  factory: decompressorFilterFactory,
});
