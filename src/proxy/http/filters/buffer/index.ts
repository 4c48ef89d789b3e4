// HTTP filters: registers envoy.filters.http.buffer.
import { registerHttpFilter } from '../../filter/registry.js';
import { BUFFER_PER_ROUTE_TYPE, BUFFER_TYPE, validateBuffer, validateBufferPerRoute, type BufferConfig } from './config.js';
import { bufferFilterFactory } from './filter.js';

registerHttpFilter<BufferConfig>({
  typeUrl: BUFFER_TYPE,
  names: ['envoy.filters.http.buffer', 'envoy.buffer'],
  validate: validateBuffer,
  perRoute: { [BUFFER_PER_ROUTE_TYPE]: validateBufferPerRoute },
  factory: bufferFilterFactory,
});
