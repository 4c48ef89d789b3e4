// HTTP: the HCM's local_reply_config — response mappers and body formats applied to every reply the proxy makes itself.
import type { HeaderAppendAction, LocalReplyConfig, SubstitutionFormat } from '../config/types.js';
import type { HeaderMap } from '../router/types.js';
import { applyHeaderOption } from '../router/header-mutation.js';
import type { AccessLogEntry } from '../telemetry/access-log.js';
import { compileJsonFormat, compileTextFormat, type Formatter } from '../telemetry/access-log-format.js';
import { compileAccessLogFilter, type EntryPredicate, type FilterEnv } from '../telemetry/access-log-filter.js';

interface CompiledFormat {
  format: Formatter;
  contentType: string;
}

interface CompiledHeader {
  key: string;
  value: Formatter;
  action: HeaderAppendAction;
  keepEmpty: boolean;
}

interface CompiledMapper {
  matches: EntryPredicate;
  status: number | undefined;
  body: string | undefined;
  format: CompiledFormat | undefined;
  headers: readonly CompiledHeader[];
}

/** What the rewriter reads from the stream that replies (the ActiveStream). */
export interface ReplyingStream {
  readonly startHr: number;
  accessLogEntry(durationMs: number): AccessLogEntry;
}

export interface RewrittenReply {
  status: number;
  /** What is sent: the formatted body. */
  body: string;
  /** The reply's text before formatting (the mapper's body, or the original): %LOCAL_REPLY_BODY% in access logs. */
  localBody: string;
}

function compileFormat(f: SubstitutionFormat): CompiledFormat {
  const opts = { omitEmpty: f.omit_empty_values };
  const format = f.format.kind === 'json' ? compileJsonFormat(f.format.json, opts) : compileTextFormat(f.format.text, opts);
  return { format, contentType: f.content_type };
}

/** Envoy's default local reply content type. */
const TEXT_PLAIN = 'text/plain';

export class LocalReplyRewriter {
  private readonly mappers: readonly CompiledMapper[];
  private readonly bodyFormat: CompiledFormat | undefined;

  /** Compiles every mapper and format once per HCM; throws on an operator or regex that cannot compile. */
  constructor(config: LocalReplyConfig, env: FilterEnv) {
    this.mappers = config.mappers.map((m, i) => ({
      matches: compileAccessLogFilter(m.filter, env, `local_reply_config.mappers[${i}].filter`),
      status: m.status_code,
      body: m.body,
      format: m.body_format_override === undefined ? undefined : compileFormat(m.body_format_override),
      headers: m.headers_to_add.map((h) => ({
        key: h.header.key,
        // header values print nothing for an unset operator (then, without keep_empty_value, no header is added)
        value: compileTextFormat(h.header.value, { omitEmpty: true }),
        action: h.append_action,
        keepEmpty: h.keep_empty_value,
      })),
    }));
    this.bodyFormat = config.body_format === undefined ? undefined : compileFormat(config.body_format);
  }

  /** Rewrites one local reply of `stream` (status, body, and its headers in place). */
  apply(stream: ReplyingStream, status: number, body: string, headers: HeaderMap): RewrittenReply {
    const entry = stream.accessLogEntry(performance.now() - stream.startHr);
    entry.responseCode = status;
    entry.responseHeaders = headers;
    entry.localReplyBody = body;
    return this.rewrite(entry, headers);
  }

  /**
   * Applies the first matching mapper in Envoy's order (body, headers_to_add with the original status, status_code),
   * then formats the body with the mapper's body_format_override or the config's body_format. `entry` describes the
   * request with this reply's status, headers and body; `headers` are the reply's headers, changed in place.
   */
  rewrite(entry: AccessLogEntry, headers: HeaderMap): RewrittenReply {
    const original = entry.localReplyBody ?? '';
    let body = original;
    let format = this.bodyFormat;
    const typeBefore = headers['content-type'];
    for (const m of this.mappers) {
      if (!m.matches(entry)) continue;
      if (m.body !== undefined) body = entry.localReplyBody = m.body;
      for (const h of m.headers) applyHeaderOption(headers, h.key, h.value(entry), h.action, h.keepEmpty);
      if (m.status !== undefined) entry.responseCode = m.status;
      if (m.format !== undefined) format = m.format;
      break;
    }
    if (format !== undefined) body = format.format(entry);
    if (body !== '') {
      // a changed body gets the format's content type, unless a mapper set one itself
      const custom = headers['content-type'] !== typeBefore;
      if (headers['content-type'] === undefined || (body !== original && !custom)) headers['content-type'] = format?.contentType ?? TEXT_PLAIN;
    }
    return { status: entry.responseCode, body, localBody: entry.localReplyBody ?? original };
  }
}
