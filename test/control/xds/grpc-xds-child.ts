// Test helper process: a proxyless gRPC client (@grpc/grpc-js-xds) that calls xds:/// targets and reports; a child so its xDS client's reconnect timers die with it.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { ECHO, type EchoClient } from './echo-service.js';

// Run by the test runner (a directory argument) rather than by grpc-js-xds.test: nothing to do.
if (process.env.GRPC_XDS_BOOTSTRAP_CONFIG === undefined) process.exit(0);

const require = createRequire(import.meta.url);
(require('@grpc/grpc-js-xds') as { register(): void }).register();

async function call(target: string): Promise<string> {
  const Ctor = grpc.makeGenericClientConstructor(ECHO, 'Echo');
  const client = new Ctor(`xds:///${target}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
  try {
    const res = await new Promise<Buffer>((resolve, reject) =>
      client.Say(Buffer.from(target), { deadline: Date.now() + 10_000 }, (err, r) => (err !== null ? reject(err) : resolve(r as Buffer))),
    );
    return res.toString();
  } finally {
    client.close();
  }
}

const results: Record<string, string> = {};
for (const target of process.argv.slice(2)) {
  try {
    results[target] = await call(target);
  } catch (e) {
    results[target] = `error: ${e instanceof Error ? e.message : String(e)}`;
  }
}
process.stdout.write(JSON.stringify(results) + '\n');
// stay connected (the parent inspects proxy status) until told to go
process.stdin.once('data', () => process.exit(0));
process.stdin.once('end', () => process.exit(0));
