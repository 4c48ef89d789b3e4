// HTTP filters: registers envoy.filters.http.grpc_http1_bridge.
import { registerHttpFilter } from '../../filter/registry.js';
import { GRPC_HTTP1_BRIDGE_TYPE, validateGrpcHttp1Bridge, type GrpcHttp1BridgeConfig } from './config.js';
import { grpcHttp1BridgeFilterFactory } from './filter.js';

registerHttpFilter<GrpcHttp1BridgeConfig>({
  typeUrl: GRPC_HTTP1_BRIDGE_TYPE,
  names: ['envoy.filters.http.grpc_http1_bridge', 'envoy.grpc_http1_bridge'],
  validate: validateGrpcHttp1Bridge,
  factory: grpcHttp1BridgeFilterFactory,
});
