// gRPC access log service: the EntrySink of one configured http_grpc / tcp_grpc logger. Loggers (and so streams) are
// shared per proxy by log type and common_config, as Envoy's logger cache keys them, so every listener naming the
// same log_name and cluster feeds one stream; the last sink to close shuts it down.
import type { AccessLogEntry } from '../access-log.js';
import type { AccessLoggerDeps, EntrySink } from '../access-logger-registry.js';
import type { GrpcAccessLogConfig } from './config.js';
import { compileEntryOptions, encodeLogEntryItem, type EntryOptions } from './entry-encoder.js';
import { GrpcAccessLogger } from './logger.js';
import { openClusterLogStream } from './stream.js';

interface Shared {
  logger: GrpcAccessLogger;
  users: number;
}

function cacheKey(c: GrpcAccessLogConfig): string {
  return `grpc_access_log/${c.kind}/${JSON.stringify(c.common_config)}`;
}

function acquire(c: GrpcAccessLogConfig, deps: AccessLoggerDeps): Shared {
  const key = cacheKey(c);
  let s = deps.shared.get(key) as Shared | undefined;
  if (s === undefined) {
    const cc = c.common_config;
    const logger = new GrpcAccessLogger({
      kind: c.kind,
      logName: cc.log_name,
      node: deps.node,
      flushIntervalMs: cc.buffer_flush_interval,
      bufferSizeBytes: cc.buffer_size_bytes,
      stats: deps.stats,
      open: (events) => openClusterLogStream(deps.clusters, deps.pools, cc.grpc_service, events),
    });
    s = { logger, users: 0 };
    deps.shared.set(key, s);
  }
  s.users++;
  return s;
}

class GrpcEntrySink implements EntrySink {
  private released = false;

  constructor(
    private readonly shared: Shared,
    private readonly options: EntryOptions,
    private readonly release: () => void,
  ) {}

  log(entry: AccessLogEntry): void {
    let item: Buffer;
    try {
      item = encodeLogEntryItem(entry, this.options);
    } catch (err) {
      process.emitWarning(`gRPC access log: cannot encode an entry: ${(err as Error).message}`);
      return;
    }
    this.shared.logger.log(item);
  }

  close(): Promise<void> {
    if (this.released) return Promise.resolve();
    this.released = true;
    this.release();
    return this.shared.users === 0 ? this.shared.logger.close() : Promise.resolve();
  }
}

export function buildGrpcAccessLog(c: GrpcAccessLogConfig, deps: AccessLoggerDeps): EntrySink {
  const shared = acquire(c, deps);
  const key = cacheKey(c);
  return new GrpcEntrySink(shared, compileEntryOptions(c), () => {
    // the last user takes the logger out of the cache, so a later config starts a fresh stream
    shared.users--;
    if (shared.users === 0 && deps.shared.get(key) === shared) deps.shared.delete(key);
  });
}
