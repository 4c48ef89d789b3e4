// HTTP filters: registers envoy.filters.http.grpc_web.
import { registerHttpFilter } from '../../filter/registry.js';
import { GRPC_WEB_TYPE, validateGrpcWeb, type GrpcWebConfig } from './config.js';
import { grpcWebFilterFactory } from './filter.js';

registerHttpFilter<GrpcWebConfig>({
  typeUrl: GRPC_WEB_TYPE,
  names: ['envoy.filters.http.grpc_web', 'envoy.grpc_web'],
  validate: validateGrpcWeb,
  factory: grpcWebFilterFactory,
});
