// gRPC access log service: registers envoy.access_loggers.http_grpc and envoy.access_loggers.tcp_grpc.
import { registerAccessLogger } from '../access-logger-registry.js';
import { HTTP_GRPC_TYPE, TCP_GRPC_TYPE, grpcAccessLogClusters, validateHttpGrpcAccessLog, validateTcpGrpcAccessLog } from './config.js';
import { buildGrpcAccessLog } from './sink.js';

registerAccessLogger({
  typeUrl: HTTP_GRPC_TYPE,
  names: ['envoy.access_loggers.http_grpc', 'envoy.http_grpc_access_log'],
  validate: validateHttpGrpcAccessLog,
  clusters: grpcAccessLogClusters,
  build: buildGrpcAccessLog,
});

registerAccessLogger({
  typeUrl: TCP_GRPC_TYPE,
  names: ['envoy.access_loggers.tcp_grpc', 'envoy.tcp_grpc_access_log'],
  validate: validateTcpGrpcAccessLog,
  clusters: grpcAccessLogClusters,
  build: buildGrpcAccessLog,
});
