// HTTP filters: registers envoy.filters.http.header_to_metadata.
import { registerHttpFilter } from '../../filter/registry.js';
import { HEADER_TO_METADATA_TYPE, validateHeaderToMetadata, validateHeaderToMetadataPerRoute, type HeaderToMetadataConfig } from './config.js';
import { headerToMetadataFilterFactory } from './filter.js';

registerHttpFilter<HeaderToMetadataConfig>({
  typeUrl: HEADER_TO_METADATA_TYPE,
  names: ['envoy.filters.http.header_to_metadata'],
  validate: validateHeaderToMetadata,
  perRoute: { [HEADER_TO_METADATA_TYPE]: validateHeaderToMetadataPerRoute },
  factory: headerToMetadataFilterFactory,
});
