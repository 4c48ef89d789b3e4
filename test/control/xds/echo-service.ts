// Test helpers: a proto-less unary gRPC method (raw bytes both ways) for the proxyless gRPC tests.
import type * as grpc from '@grpc/grpc-js';

export const ECHO: grpc.ServiceDefinition = {
  Say: {
    path: '/trellis.test.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

export type EchoClient = grpc.Client & {
  Say(req: Buffer, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
};
