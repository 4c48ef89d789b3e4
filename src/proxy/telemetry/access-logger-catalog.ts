// Telemetry: every extension access logger module, how a config names it, and how to load it. A module registers its
// types (access-logger-registry.ts) when loaded; config/filter-modules.ts loads only the ones a config's text names,
// so a proxy without a gRPC access log never loads its code. A new logger is a folder with an index.ts and one entry here.
export interface AccessLoggerModule {
  /** Logger names, for "supported:" lists in errors. */
  readonly names: readonly string[];
  /** Matches the config text (YAML, JSON or protobuf bytes read as latin1) that names one of its types or names. */
  readonly pattern: RegExp;
  readonly load: () => Promise<unknown>;
}

export const ACCESS_LOGGER_MODULES: readonly AccessLoggerModule[] = [
  {
    names: ['envoy.access_loggers.http_grpc', 'envoy.access_loggers.tcp_grpc'],
    pattern: /access_loggers\.grpc\.v3\.|envoy\.access_loggers\.(?:http|tcp)_grpc|envoy\.(?:http|tcp)_grpc_access_log/,
    load: () => import('./grpc-access-log/index.js'),
  },
];
