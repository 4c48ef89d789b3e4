// Demo app `reviews` (v1, v2, v3): two reviews as JSON (GET /reviews/ID); v2 adds black stars and v3 red ones,
// both from `ratings` over gRPC through the sidecar. Every answer names the version that gave it.
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { forwardedHeaders, outbound } from './outbound.js';
import { RATINGS_SERVICE, type RatingsReply, type RatingsRequest } from './ratings-service.js';

const REVIEWS = [
  { reviewer: 'Reviewer1', text: 'A long voyage, and worth every chapter of it.' },
  { reviewer: 'Reviewer2', text: 'The whaling digressions test you; the ending pays you back.' },
];

type RatingsClient = grpc.Client & {
  GetRatings(req: RatingsRequest, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: RatingsReply) => void): void;
};

function ratingsClient(): RatingsClient {
  const Ctor = grpc.makeGenericClientConstructor(RATINGS_SERVICE, 'Ratings');
  // the sidecar routes by :authority, as it routes HTTP by Host
  return new Ctor(outbound().host, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'ratings:9080' }) as unknown as RatingsClient;
}

function ratingsFor(client: RatingsClient, id: number, headers: http.IncomingHttpHeaders): Promise<RatingsReply | { error: string }> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(forwardedHeaders(headers))) md.set(k, v);
  return new Promise((resolve) =>
    client.GetRatings({ productId: id }, md, { deadline: Date.now() + 2500 }, (err, res) =>
      resolve(err !== null || res === undefined ? { error: `ratings unavailable (${err?.details ?? 'no reply'})` } : res),
    ),
  );
}

export function reviewsServer(version: string): http.Server {
  const color = version === 'v2' ? 'black' : version === 'v3' ? 'red' : undefined;
  const client = color !== undefined ? ratingsClient() : undefined;
  return http.createServer((req, res) => {
    if (req.url === '/health') return void res.end('ok\n');
    const m = /^\/reviews\/(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      res.statusCode = 404;
      return void res.end(JSON.stringify({ error: 'not found' }));
    }
    const id = Number(m[1]);
    void (async () => {
      const ratings = client !== undefined ? await ratingsFor(client, id, req.headers) : undefined;
      const reviews = REVIEWS.map((r) => {
        if (ratings === undefined) return r;
        if ('error' in ratings) return { ...r, rating: { error: ratings.error } };
        return { ...r, rating: { stars: ratings.ratings[r.reviewer] ?? 0, color } };
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id, podname: `reviews-${version}`, reviews }));
    })();
  });
}
