// Demo app: the gRPC contract between reviews and ratings (bookinfo.Ratings/GetRatings), as protobuf messages.
import protobuf from 'protobufjs';
import type * as grpc from '@grpc/grpc-js';

export interface RatingsRequest {
  productId: number;
}
export interface RatingsReply {
  ratings: Record<string, number>;
}

const root = protobuf.Root.fromJSON({
  nested: {
    bookinfo: {
      nested: {
        RatingsRequest: { fields: { productId: { type: 'int32', id: 1 } } },
        RatingsReply: { fields: { ratings: { keyType: 'string', type: 'int32', id: 1 } } },
      },
    },
  },
} as protobuf.INamespace); // a map field's keyType is not in the plain field type
const Request = root.lookupType('bookinfo.RatingsRequest');
const Reply = root.lookupType('bookinfo.RatingsReply');

export const RATINGS_SERVICE = {
  GetRatings: {
    path: '/bookinfo.Ratings/GetRatings',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: RatingsRequest) => Buffer.from(Request.encode(Request.fromObject(m)).finish()),
    requestDeserialize: (b: Buffer) => Request.toObject(Request.decode(b), { defaults: true }) as RatingsRequest,
    responseSerialize: (m: RatingsReply) => Buffer.from(Reply.encode(Reply.fromObject(m)).finish()),
    responseDeserialize: (b: Buffer) => Reply.toObject(Reply.decode(b), { defaults: true }) as RatingsReply,
  },
} satisfies grpc.ServiceDefinition;
