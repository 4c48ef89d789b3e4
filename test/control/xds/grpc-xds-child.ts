// Test helper process: a proxyless gRPC client (@grpc/grpc-js-xds) that calls xds:/// targets and reports; a child so its xDS client's reconnect timers die with it.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { ECHO, type EchoClient } from './echo-service.js';

// Run by the test runner (a directory argument) rather than by grpc-js-xds.test: nothing to do.
if (process.env.GRPC_XDS_BOOTSTRAP_CONFIG === undefined) process.exit(0);

const require = createRequire(import.meta.url);
(require('@grpc/grpc-js-xds') as { register(): void }).register();

function client(target: string): EchoClient {
  const Ctor = grpc.makeGenericClientConstructor(ECHO, 'Echo');
  return new Ctor(`xds:///${target}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
}

async function call(target: string, c: EchoClient): Promise<string> {
  const res = await new Promise<Buffer>((resolve, reject) =>
    c.Say(Buffer.from(target), { deadline: Date.now() + 10_000 }, (err, r) => (err !== null ? reject(err) : resolve(r as Buffer))),
  );
  return res.toString();
}

const results: Record<string, string> = {};
const clients: EchoClient[] = [];
for (const target of process.argv.slice(2)) {
  const c = client(target);
  clients.push(c);
  try {
    results[target] = await call(target, c);
  } catch (e) {
    results[target] = `error: ${e instanceof Error ? e.message : String(e)}`;
  }
}
// Every channel but the last closes (its xDS watches go); the last keeps the stream subscribed. Were all closed,
// grpc-js-xds would end its ADS stream, and it mistakes a late status of an ended stream for its current stream's end.
for (const c of clients.slice(0, -1)) c.close();
process.stdout.write(JSON.stringify(results) + '\n');
// stay connected (the parent inspects proxy status) until told to go
process.stdin.once('data', () => process.exit(0));
process.stdin.once('end', () => process.exit(0));
