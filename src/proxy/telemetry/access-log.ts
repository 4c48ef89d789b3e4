// Telemetry: the per-request access log record and the compiled access loggers the HTTP connection manager calls.
import type { AccessLog, FormattedAccessLog } from '../config/types.js';
import type { DownstreamConnectionInfo } from '../http/types.js';
import { compileJsonFormat, compileTextFormat, type Formatter } from './access-log-format.js';
import { fileSink, stderrSink, stdoutSink, type LogSink } from './access-log-sink.js';
import { compileAccessLogFilter, type FilterEnv } from './access-log-filter.js';
import { accessLoggerByType, type AccessLoggerDeps, type EntrySink } from './access-logger-registry.js';

export interface AccessLogEntry {
  startTime: number /* epoch ms */;
  durationMs: number;
  method: string;
  path: string /* original, with query */;
  authority: string;
  protocol: string /* HTTP/1.1, HTTP/2 */;
  responseCode: number;
  responseFlags: string /* Envoy short flags joined by ',' e.g. 'UF,URX' or '-' */;
  bytesReceived: number;
  bytesSent: number;
  upstreamHost: string /* ip:port or '-' */;
  upstreamCluster: string;
  upstreamServiceTimeMs: number | undefined;
  downstreamRemoteAddress: string /* ip:port */;
  downstreamLocalAddress: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  responseHeaders: Record<string, string | string[] | undefined>;
  responseTrailers?: Record<string, string | string[] | undefined>;
  routeName: string;
  requestId: string;
  upstreamTransportFailureReason?: string;
  connectionTerminationDetails?: string;
  /** The body of a reply the proxy made itself (%LOCAL_REPLY_BODY%). */
  localReplyBody?: string;
  /** Envoy's response code details, e.g. route_not_found (%RESPONSE_CODE_DETAILS%). */
  responseCodeDetails?: string;
  /** The downstream connection: its TLS identities and SNI (%DOWNSTREAM_PEER_URI_SAN%, %REQUESTED_SERVER_NAME%, CEL connection.*). */
  connection?: DownstreamConnectionInfo;
  /** ip:port of the upstream connection's own end, where known (%UPSTREAM_LOCAL_ADDRESS%). */
  upstreamLocalAddress?: string;
}

export interface AccessLogger {
  /** False when no access log is configured, so callers can skip building entries. */
  readonly enabled: boolean;
  /** Formats now, writes later: never blocks the request path. */
  log(entry: AccessLogEntry): void;
  /** Flushes buffered lines and closes files. */
  close(): Promise<void>;
}

/** Envoy's default format string (used when an access log has no format). */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  '%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

function formatterFor(log: FormattedAccessLog): Formatter {
  const f = log.format;
  if (f.kind === 'json') return compileJsonFormat(f.json);
  return compileTextFormat(f.text === '' ? DEFAULT_ACCESS_LOG_FORMAT : f.text);
}

function sinkFor(log: FormattedAccessLog): LogSink {
  switch (log.sink.kind) {
    case 'file':
      // as Envoy does: the process's own streams, which may be pipes or sockets that cannot be opened by path
      if (log.sink.path === '/dev/stdout') return stdoutSink();
      if (log.sink.path === '/dev/stderr') return stderrSink();
      return fileSink(log.sink.path);
    case 'stdout':
      return stdoutSink();
    case 'stderr':
      return stderrSink();
  }
}

/** What compileAccessLogs needs: the filters' runtime and randomness; the proxy's deps for extension loggers (gRPC ALS). */
export interface AccessLogEnv extends FilterEnv {
  extensions?: AccessLoggerDeps;
}

/** A formatted logger's line writer, or an extension logger built by its registry entry. */
function outputFor(log: AccessLog, format: Formatter | undefined, env: AccessLogEnv): EntrySink {
  if ('typed_config' in log) {
    const type = log.typed_config['@type'];
    const t = accessLoggerByType(type);
    if (t === undefined) throw new Error(`access logger ${type} is not registered`);
    if (env.extensions === undefined) throw new Error(`access logger ${log.name || type} needs the proxy's cluster manager`);
    return t.build(log.typed_config, env.extensions);
  }
  const sink = sinkFor(log);
  const fmt = format!;
  return { log: (e) => sink.write(fmt(e)), close: () => sink.close() };
}

/** Compiles formats and filters and opens sinks once (config time); throws on an unsupported operator. */
export function compileAccessLogs(logs: readonly AccessLog[], env: AccessLogEnv = { random: Math.random }): AccessLogger {
  // all formats and filters first: a bad one must not leave files open (or streams referenced)
  const formats = logs.map((l) => ('typed_config' in l ? undefined : formatterFor(l)));
  const filters = logs.map((l, i) => (l.filter === undefined ? undefined : compileAccessLogFilter(l.filter, env, `access_log[${i}].filter`)));
  const compiled = logs.map((l, i) => ({ filter: filters[i], output: outputFor(l, formats[i], env) }));
  return {
    enabled: compiled.length > 0,
    log(entry: AccessLogEntry): void {
      for (const c of compiled) {
        try {
          if (c.filter !== undefined && !c.filter(entry)) continue;
          c.output.log(entry);
        } catch (err) {
          // A formatting bug must not break the request that is being logged.
          process.emitWarning(`access log format failed: ${String(err)}`);
        }
      }
    },
    async close(): Promise<void> {
      await Promise.all(compiled.map((c) => c.output.close()));
    },
  };
}
