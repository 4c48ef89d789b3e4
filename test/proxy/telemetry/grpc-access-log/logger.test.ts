// gRPC access log service: the logger's batching, bounds and reconnects over a fake stream — flush on
// buffer_size_bytes and on the interval, the identifier in each stream's first message only, drops (counted)
// while the stream cannot take more, backoff after failures, and the shutdown flush.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../../src/proxy/telemetry/stats-store.js';
import { GrpcAccessLogger, type GrpcAccessLoggerOptions } from '../../../../src/proxy/telemetry/grpc-access-log/logger.js';
import type { LogStream, LogStreamEvents } from '../../../../src/proxy/telemetry/grpc-access-log/stream.js';
import { decodeStreamMessage, unframe, type Obj } from './als-protos.js';
import { waitFor } from '../../../e2e/harness.js';

class FakeStream implements LogStream {
  writable = true;
  frames: Buffer[] = [];
  ended = false;
  aborted = false;
  /** Writes after which the transport reports backpressure. */
  acceptBeforeFull = Infinity;

  constructor(readonly events: LogStreamEvents) {}

  write(frame: Buffer): void {
    this.frames.push(frame);
    if (this.frames.length >= this.acceptBeforeFull) this.writable = false;
  }
  end(): void {
    this.ended = true;
  }
  abort(): void {
    this.aborted = true;
  }
  messages(): Obj[] {
    return this.frames.flatMap((f) => unframe(f)).map((m) => decodeStreamMessage(m));
  }
  drain(): void {
    this.writable = true;
    this.events.onWritable();
  }
}

/** An encoded HTTPAccessLogEntries.log_entry item of exactly `size` bytes (route_name padding), tagged by `id`. */
function item(id: number, size = 40): Buffer {
  // field 1 (log_entry) { field 1 (common_properties) { field 19 (route_name) "<id>..." } }
  const name = String(id).padEnd(size - 7, '.');
  const common = Buffer.concat([Buffer.from([0x9a, 0x01, name.length]), Buffer.from(name)]);
  const entry = Buffer.concat([Buffer.from([0x0a, common.length]), common]);
  return Buffer.concat([Buffer.from([0x0a, entry.length]), entry]);
}

function ids(messages: Obj[]): string[] {
  return messages.flatMap((m) => (m.http_logs?.log_entry ?? []).map((e: Obj) => String(e.common_properties.route_name).replace(/\.+$/, '')));
}

function setup(over: Partial<GrpcAccessLoggerOptions> = {}) {
  const stats = new StatsStore();
  const streams: FakeStream[] = [];
  let refuse: string | undefined;
  const logger = new GrpcAccessLogger({
    kind: 'http',
    logName: 'mesh',
    node: { id: 'node-1', cluster: 'c' },
    flushIntervalMs: 60_000,
    bufferSizeBytes: 100,
    stats,
    backoffBaseMs: 10,
    backoffMaxMs: 40,
    open: (events) => {
      if (refuse !== undefined) return refuse;
      const s = new FakeStream(events);
      streams.push(s);
      return s;
    },
    ...over,
  });
  const counter = (n: string): number => stats.counterAt(['access_logs', 'grpc_access_log', n]).value();
  return { logger, streams, counter, refuse: (r: string | undefined) => (refuse = r) };
}

test('a batch goes out when it reaches buffer_size_bytes; the identifier only in the stream\'s first message', () => {
  const { logger, streams, counter } = setup();
  logger.log(item(1));
  logger.log(item(2));
  assert.equal(streams.length, 0, 'under the limit: nothing sent yet');
  logger.log(item(3)); // 120 bytes >= 100
  assert.equal(streams.length, 1);
  logger.log(item(4));
  logger.log(item(5));
  logger.log(item(6));
  const msgs = streams[0]!.messages();
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0]!.identifier.log_name, 'mesh');
  assert.equal(msgs[0]!.identifier.node.id, 'node-1');
  assert.equal(msgs[1]!.identifier, undefined);
  assert.deepEqual(ids(msgs), ['1', '2', '3', '4', '5', '6']);
  assert.equal(counter('logs_written'), 6);
  assert.equal(counter('logs_dropped'), 0);
  void logger.close(0);
});

test('the flush interval sends what is buffered', async () => {
  const { logger, streams } = setup({ flushIntervalMs: 20 });
  logger.log(item(7));
  await waitFor(() => streams[0]?.frames.length === 1, 2000, 'interval flush');
  assert.deepEqual(ids(streams[0]!.messages()), ['7']);
  await logger.close(0);
});

test('backpressure: the batch is kept up to the limit, entries past it are dropped and counted; drain resumes', () => {
  const { logger, streams, counter } = setup();
  logger.log(item(1));
  logger.log(item(2));
  logger.log(item(3)); // flush → stream opened, 1 frame written
  streams[0]!.acceptBeforeFull = 1;
  streams[0]!.writable = false;
  for (let i = 10; i < 20; i++) logger.log(item(i));
  // 100-byte limit: 3 items (120 bytes, the last one crosses it) are held, 7 dropped
  assert.equal(logger.bufferedBytes, 120);
  assert.equal(counter('logs_dropped'), 7);
  assert.equal(counter('logs_written'), 6);
  streams[0]!.acceptBeforeFull = Infinity;
  streams[0]!.drain();
  assert.deepEqual(ids(streams[0]!.messages()), ['1', '2', '3', '10', '11', '12']);
  assert.equal(logger.bufferedBytes, 0);
  void logger.close(0);
});

test('a failed stream is reopened after a backoff, with the identifier again; nothing is sent in between', async () => {
  const { logger, streams, counter } = setup({ flushIntervalMs: 5 });
  for (let i = 1; i <= 3; i++) logger.log(item(i));
  assert.equal(streams.length, 1);
  streams[0]!.events.onClosed('grpc-status 14');
  assert.equal(logger.connected, false);
  assert.equal(logger.lastError, 'grpc-status 14');
  logger.log(item(4));
  logger.log(item(5));
  logger.log(item(6)); // the batch is full, but the backoff holds the reconnect
  assert.equal(streams.length, 1);
  logger.log(item(99)); // full and no stream: dropped
  assert.equal(counter('logs_dropped'), 1);
  await waitFor(() => streams.length === 2 && streams[1]!.frames.length > 0, 2000, 'reconnect');
  const msgs = streams[1]!.messages();
  assert.equal(msgs[0]!.identifier.log_name, 'mesh');
  assert.deepEqual(ids(msgs), ['4', '5', '6']);
  await logger.close(0);
});

test('no host to send to: entries wait (bounded) and go out once a stream can start', async () => {
  const { logger, streams, counter, refuse } = setup({ flushIntervalMs: 5 });
  refuse('no healthy host in cluster als');
  for (let i = 1; i <= 5; i++) logger.log(item(i));
  assert.equal(streams.length, 0);
  assert.equal(logger.lastError, 'no healthy host in cluster als');
  assert.ok(counter('logs_dropped') >= 2, 'past the limit: dropped');
  refuse(undefined);
  await waitFor(() => streams.length === 1 && streams[0]!.frames.length > 0, 2000, 'stream once a host is there');
  assert.deepEqual(ids(streams[0]!.messages()), ['1', '2', '3']);
  await logger.close(0);
});

test('a stream that fails while it is being opened counts as a failure, not as a stream', () => {
  const { logger } = setup({
    open: (events: LogStreamEvents) => {
      const s = new FakeStream(events);
      events.onClosed('overflow: pending request limit reached');
      return s;
    },
  });
  for (let i = 1; i <= 3; i++) logger.log(item(i));
  assert.equal(logger.connected, false);
  assert.equal(logger.streamsOpened, 0);
  assert.equal(logger.lastError, 'overflow: pending request limit reached');
  void logger.close(0);
});

test('close: the last batch is written, our side ended, and the server gets a grace period (bounded)', async () => {
  const { logger, streams, counter } = setup();
  for (let i = 1; i <= 3; i++) logger.log(item(i)); // opens the stream
  logger.log(item(4));
  const closing = logger.close(50);
  assert.equal(streams[0]!.ended, true);
  assert.deepEqual(ids(streams[0]!.messages()), ['1', '2', '3', '4']);
  await closing; // the fake server never answers: the grace period ends it
  assert.equal(streams[0]!.aborted, true);
  logger.log(item(5));
  assert.equal(counter('logs_dropped'), 1, 'after close, entries are dropped');
});

test('close resolves as soon as the server closes the stream', async () => {
  const { logger, streams } = setup();
  for (let i = 1; i <= 3; i++) logger.log(item(i));
  const t0 = Date.now();
  const closing = logger.close(10_000);
  streams[0]!.events.onClosed('grpc-status 0');
  await closing;
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(streams[0]!.aborted, false);
});

test('buffer_size_bytes 0: every entry is sent at once; with no stream at most one entry waits', () => {
  const { logger, streams, counter, refuse } = setup({ bufferSizeBytes: 0 });
  logger.log(item(1));
  logger.log(item(2));
  assert.equal(streams[0]!.frames.length, 2);
  streams[0]!.events.onClosed('reset');
  refuse('down');
  logger.log(item(3));
  logger.log(item(4));
  assert.equal(logger.bufferedBytes, item(3).length);
  assert.equal(counter('logs_dropped'), 1);
  void logger.close(0);
});
