// Demo app `ratings`: stars per reviewer over gRPC (bookinfo.Ratings/GetRatings) — the demo's gRPC hop.
import * as grpc from '@grpc/grpc-js';
import { RATINGS_SERVICE, type RatingsReply, type RatingsRequest } from './ratings-service.js';

const STARS: Readonly<Record<string, number>> = { Reviewer1: 5, Reviewer2: 4 };

export function ratingsServer(): grpc.Server {
  const server = new grpc.Server();
  server.addService(RATINGS_SERVICE, {
    GetRatings: (_call: grpc.ServerUnaryCall<RatingsRequest, RatingsReply>, done: grpc.sendUnaryData<RatingsReply>) => done(null, { ratings: { ...STARS } }),
  });
  return server;
}
