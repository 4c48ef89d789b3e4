// Config stage: validates access_log entries (file/stdout/stderr loggers with text or JSON formats, and the extension
// loggers of the access logger registry, such as gRPC ALS, once config/filter-modules.ts has loaded the ones named).
import type { AccessLog, FormattedAccessLog } from './types.js';
import { Ctx, Msg, TYPE_PREFIX, join, typeName, unpackAny } from './reader.js';
import { readDataSource } from './common.js';
import { validateAccessLogFilter } from './access-log-filter.js';
import { accessLoggerByName, accessLoggerByType } from '../telemetry/access-logger-registry.js';
import { ACCESS_LOGGER_MODULES } from '../telemetry/access-logger-catalog.js';

/** Envoy's default access log format. */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  '%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

const FILE_TYPE = `${TYPE_PREFIX}envoy.extensions.access_loggers.file.v3.FileAccessLog`;
const STDOUT_TYPE = `${TYPE_PREFIX}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog`;
const STDERR_TYPE = `${TYPE_PREFIX}envoy.extensions.access_loggers.stream.v3.StderrAccessLog`;

const BY_NAME: Record<string, string> = {
  'envoy.access_loggers.file': FILE_TYPE,
  'envoy.file_access_log': FILE_TYPE,
  'envoy.access_loggers.stdout': STDOUT_TYPE,
  'envoy.access_loggers.stderr': STDERR_TYPE,
};

type Format = FormattedAccessLog['format'];

/** core.v3.SubstitutionFormatString. */
function validateFormatString(ctx: Ctx, raw: unknown, path: string): Format | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.SubstitutionFormatString',
    fields: ['text_format', 'json_format', 'text_format_source'],
    ignored: ['omit_empty_values', 'content_type', 'json_format_options'], // output cosmetics
  });
  if (m === undefined) return undefined;
  switch (m.oneof(['text_format', 'json_format', 'text_format_source'], true)) {
    case 'text_format': {
      const t = m.str('text_format');
      return t === undefined ? undefined : { kind: 'text', text: t };
    }
    case 'text_format_source': {
      const t = m.msg('text_format_source', (r, p) => readDataSource(ctx, r, p));
      return t === undefined ? undefined : { kind: 'text', text: t };
    }
    case 'json_format': {
      const j = m.struct('json_format');
      return j === undefined ? undefined : { kind: 'json', json: j };
    }
    default:
      return undefined;
  }
}

function validateFileLog(ctx: Ctx, body: Record<string, unknown>, path: string): Pick<FormattedAccessLog, 'sink' | 'format'> | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.access_loggers.file.v3.FileAccessLog',
    fields: ['path', 'format', 'json_format', 'typed_json_format', 'log_format'],
  });
  if (m === undefined) return undefined;
  const file = m.reqStr('path');
  let format: Format | undefined = { kind: 'text', text: DEFAULT_ACCESS_LOG_FORMAT };
  switch (m.oneof(['format', 'json_format', 'typed_json_format', 'log_format'], false)) {
    case 'format': {
      const t = m.str('format');
      format = t === undefined ? undefined : { kind: 'text', text: t === '' ? DEFAULT_ACCESS_LOG_FORMAT : t };
      break;
    }
    case 'json_format':
    case 'typed_json_format': {
      const j = m.struct(m.has('json_format') ? 'json_format' : 'typed_json_format');
      format = j === undefined ? undefined : { kind: 'json', json: j };
      break;
    }
    case 'log_format':
      format = m.msg('log_format', (r, p) => validateFormatString(ctx, r, p));
      break;
  }
  if (format === undefined || file === '') return undefined;
  return { sink: { kind: 'file', path: file }, format };
}

function validateStreamLog(ctx: Ctx, body: Record<string, unknown>, path: string, stream: 'stdout' | 'stderr'): Pick<FormattedAccessLog, 'sink' | 'format'> | undefined {
  const m = Msg.open(ctx, body, path, {
    type: `extensions.access_loggers.stream.v3.${stream === 'stdout' ? 'Stdout' : 'Stderr'}AccessLog`,
    fields: ['log_format'],
  });
  if (m === undefined) return undefined;
  const format = m.msg('log_format', (r, p) => validateFormatString(ctx, r, p)) ?? { kind: 'text', text: DEFAULT_ACCESS_LOG_FORMAT };
  return { sink: { kind: stream }, format };
}

export interface AccessLogOptions {
  /**
   * Whether extension loggers (gRPC ALS) may be used: they send through the proxy's cluster manager, which the
   * admin server (in the primary process with --concurrency) does not have.
   */
  extensions?: boolean;
}

export function validateAccessLog(ctx: Ctx, raw: unknown, path: string, opts: AccessLogOptions = {}): AccessLog | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.accesslog.v3.AccessLog', fields: ['name', 'filter', 'typed_config'] });
  if (m === undefined) return undefined;
  const filter = m.msg('filter', (r, p) => validateAccessLogFilter(ctx, r, p));
  const name = m.strOr('name', '');
  const expected = BY_NAME[name] ?? accessLoggerByName(name)?.typeUrl;
  if (!m.require('typed_config')) return undefined;
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  const typeAt = join(m.at('typed_config'), '@type');
  const ext = accessLoggerByType(any.typeUrl);
  const known = ext !== undefined || [FILE_TYPE, STDOUT_TYPE, STDERR_TYPE].includes(any.typeUrl);
  if (expected !== undefined && expected !== any.typeUrl && known) {
    ctx.err(typeAt, `${any.typeUrl} does not match access logger name "${name}" (expected ${expected})`);
    return undefined;
  }
  if (ext !== undefined) {
    if (opts.extensions === false) {
      ctx.err(typeAt, `${typeName(any.typeUrl)} is not supported here; use envoy.access_loggers.file, stdout or stderr`);
      return undefined;
    }
    const config = ext.validate(ctx, any.body, any.path);
    if (config === undefined || (m.has('filter') && filter === undefined)) return undefined;
    return filter === undefined ? { name, typed_config: config } : { name, filter, typed_config: config };
  }
  let parts: Pick<FormattedAccessLog, 'sink' | 'format'> | undefined;
  if (any.typeUrl === FILE_TYPE) parts = validateFileLog(ctx, any.body, any.path);
  else if (any.typeUrl === STDOUT_TYPE) parts = validateStreamLog(ctx, any.body, any.path, 'stdout');
  else if (any.typeUrl === STDERR_TYPE) parts = validateStreamLog(ctx, any.body, any.path, 'stderr');
  else {
    const supported = ['envoy.access_loggers.file', 'envoy.access_loggers.stdout', 'envoy.access_loggers.stderr', ...(opts.extensions === false ? [] : ACCESS_LOGGER_MODULES.flatMap((x) => x.names))];
    ctx.err(typeAt, `access logger ${typeName(any.typeUrl)} is not supported by trellis; supported: ${supported.join(', ')}`);
    return undefined;
  }
  if (parts === undefined || (m.has('filter') && filter === undefined)) return undefined;
  return filter === undefined ? { name, ...parts } : { name, filter, ...parts };
}
