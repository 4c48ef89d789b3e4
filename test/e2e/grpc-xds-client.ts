// Test helper process for proxyless-grpc.test: one @grpc/grpc-js-xds channel to an xds:/// target, driven by JSON lines on stdin
// ({id, n, concurrency, metadata, deadlineMs}); answers one JSON line per command with every call's outcome. A child process so the
// xDS client's timers die with it.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { ECHO, type EchoClient } from '../control/xds/echo-service.js';

// Run by the test runner (a directory argument) rather than by proxyless-grpc.test: nothing to do.
if (process.env.GRPC_XDS_BOOTSTRAP_CONFIG === undefined || process.argv[2] === undefined) process.exit(0);

const require = createRequire(import.meta.url);
(require('@grpc/grpc-js-xds') as { register(): void }).register();

export interface Command {
  id: number;
  n: number;
  concurrency?: number;
  metadata?: Record<string, string>;
  deadlineMs?: number;
}

export interface Outcome {
  ok: boolean;
  body?: string;
  code?: number;
  details?: string;
  ms: number;
}

const Ctor = grpc.makeGenericClientConstructor(ECHO, 'Echo');
const client = new Ctor(`xds:///${process.argv[2]}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
type Say = (req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => void;
const say = client.Say.bind(client) as unknown as Say;

function call(cmd: Command, i: number): Promise<Outcome> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(cmd.metadata ?? {})) md.set(k, v);
  const start = performance.now();
  return new Promise((resolve) => {
    say(Buffer.from(`req-${i}`), md, { deadline: Date.now() + (cmd.deadlineMs ?? 10_000) }, (err, res) => {
      const ms = performance.now() - start;
      if (err !== null) resolve({ ok: false, code: err.code, details: err.details, ms });
      else resolve({ ok: true, body: (res as Buffer).toString(), ms });
    });
  });
}

async function run(cmd: Command): Promise<Outcome[]> {
  const out: Outcome[] = new Array(cmd.n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cmd.n) {
      const i = next++;
      out[i] = await call(cmd, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.n, cmd.concurrency ?? 1) }, worker));
  return out;
}

process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = JSON.parse(line) as Command;
  void run(cmd).then((results) => process.stdout.write(JSON.stringify({ id: cmd.id, results }) + '\n'));
});
rl.on('close', () => {
  client.close();
  process.exit(0);
});
