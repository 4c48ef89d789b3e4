// Demo app entry: `node main.js productpage | details | reviews v1|v2|v3 | ratings` listens on $PORT (given by
// `trellis run`) on 127.0.0.1, and stops on SIGTERM once what it serves is answered.
import * as grpc from '@grpc/grpc-js';
import type http from 'node:http';
import { detailsServer } from './details.js';
import { productpageServer } from './productpage.js';
import { ratingsServer } from './ratings.js';
import { reviewsServer } from './reviews.js';

function listen(server: http.Server, port: number): void {
  server.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
  server.on('close', () => process.exit(0));
}

function main(): void {
  const [role, version] = process.argv.slice(2);
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT is not set: start this app with `trellis run`');
  switch (role) {
    case 'productpage':
      return listen(productpageServer(), port);
    case 'details':
      return listen(detailsServer(), port);
    case 'reviews':
      if (version !== 'v1' && version !== 'v2' && version !== 'v3') throw new Error('reviews needs its version: v1, v2 or v3');
      return listen(reviewsServer(version), port);
    case 'ratings': {
      const server = ratingsServer();
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
        if (err !== null) throw err;
      });
      process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
      return;
    }
    default:
      throw new Error(`unknown app "${role ?? ''}": productpage, details, reviews v1|v2|v3 or ratings`);
  }
}

main();
