// Telemetry: the one registry of extension access loggers (gRPC ALS …), keyed by typed_config @type and logger name.
// The built-in formatted loggers (file, stdout, stderr) stay in config/access-log.ts and access-log.ts; an extension
// is a folder that registers here when loaded (telemetry/access-logger-catalog.ts lists them and how configs name them).
import type { Ctx, Raw } from '../config/reader.js';
import type { ClusterManager } from '../upstream/types.js';
import type { PoolManager } from '../upstream/pool/pool-manager.js';
import type { XdsNode } from '../../xds/ads-service.js';
import type { StatsScope } from './stats.js';
import type { AccessLogEntry } from './access-log.js';
import { ExtensionRegistry } from '../config/extension-registry.js';

export interface AccessLoggerConfig {
  readonly '@type': string;
}

/** A cluster a logger sends to; `path` is the field's path below typed_config (for the error that names it). */
export interface AccessLoggerClusterRef {
  name: string;
  path: string;
}

/** What the proxy gives extension loggers when it builds them. */
export interface AccessLoggerDeps {
  readonly clusters: ClusterManager;
  readonly pools: PoolManager;
  /** The root scope: Envoy names these stats by their own prefixes (access_logs.grpc_access_log.*). */
  readonly stats: StatsScope;
  /** The bootstrap node as the proxy tells it to management servers (ALS identifies its stream with it). */
  readonly node: XdsNode;
  /**
   * Per-proxy state shared by every logger of a type (Envoy's singleton manager): e.g. one gRPC stream per
   * logger config however many listeners name it. Keys are the extension's own.
   */
  readonly shared: Map<string, unknown>;
}

/** One configured extension logger: takes entries that passed the access log's filter. */
export interface EntrySink {
  /** Never blocks and never throws for a bad peer: the request being logged is already answered. */
  log(entry: AccessLogEntry): void;
  /** Releases what the sink holds (a shared stream is closed by its last user); resolves once flushed or given up. */
  close(): Promise<void>;
}

export interface AccessLoggerType<C extends AccessLoggerConfig = AccessLoggerConfig> {
  readonly typeUrl: string;
  /** AccessLog.name values that mean this logger (Envoy's extension name and its deprecated aliases). */
  readonly names: readonly string[];
  readonly validate: (ctx: Ctx, body: Raw, path: string) => C | undefined;
  /** Clusters the logger's config names: they must exist, as Envoy checks a gRPC service's cluster at config load. */
  readonly clusters: (config: C) => readonly AccessLoggerClusterRef[];
  /** Built once per access_log entry of a listener's filter (config time). */
  readonly build: (config: C, deps: AccessLoggerDeps) => EntrySink;
}

const registry = new ExtensionRegistry<AccessLoggerType>('access logger');

export function registerAccessLogger<C extends AccessLoggerConfig>(t: AccessLoggerType<C>): void {
  registry.register(t as unknown as AccessLoggerType);
}

export function accessLoggerByType(typeUrl: string): AccessLoggerType | undefined {
  return registry.byTypeUrl(typeUrl);
}

export function accessLoggerByName(name: string): AccessLoggerType | undefined {
  return registry.byExtensionName(name);
}
