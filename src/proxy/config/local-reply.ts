// Config stage: validates the HCM's local_reply_config (response mappers and body formats for replies the proxy makes itself).
import type { LocalReplyConfig, ResponseMapper, SubstitutionFormat } from './types.js';
import { Ctx, Msg } from './reader.js';
import { readDataSource, validateHeaderValueOption } from './common.js';
import { validateAccessLogFilter } from './access-log-filter.js';
import { compileJsonFormat, compileTextFormat } from '../telemetry/access-log-format.js';

const HCM = 'extensions.filters.network.http_connection_manager.v3';

function formatError(compile: () => unknown): string | undefined {
  try {
    compile();
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^access log: /, '');
  }
}

/** core.v3.SubstitutionFormatString with the fields that shape a reply body (content_type, omit_empty_values). */
export function validateSubstitutionFormat(ctx: Ctx, raw: unknown, path: string): SubstitutionFormat | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.SubstitutionFormatString',
    fields: ['text_format', 'json_format', 'text_format_source', 'content_type', 'omit_empty_values'],
    ignored: ['json_format_options'], // key order of the JSON output
  });
  if (m === undefined) return undefined;
  let format: SubstitutionFormat['format'] | undefined;
  switch (m.oneof(['text_format', 'json_format', 'text_format_source'], true)) {
    case 'text_format': {
      const t = m.str('text_format');
      if (t !== undefined) format = { kind: 'text', text: t };
      break;
    }
    case 'text_format_source': {
      const t = m.msg('text_format_source', (r, p) => readDataSource(ctx, r, p));
      if (t !== undefined) format = { kind: 'text', text: t };
      break;
    }
    case 'json_format': {
      const j = m.struct('json_format');
      if (j !== undefined) format = { kind: 'json', json: j };
      break;
    }
  }
  if (format !== undefined) {
    // an operator the formatter cannot print is a config error here, not a listener that fails later
    const f = format;
    const bad = formatError(() => (f.kind === 'json' ? compileJsonFormat(f.json) : compileTextFormat(f.text)));
    if (bad !== undefined) {
      ctx.err(m.at(m.has('json_format') ? 'json_format' : m.has('text_format') ? 'text_format' : 'text_format_source'), bad);
      format = undefined;
    }
  }
  const ct = m.str('content_type');
  if (ct !== undefined && /[\r\n\0]/.test(ct)) m.err('content_type', 'must be a valid header value (no CR, LF or NUL)');
  if (format === undefined) return undefined;
  return {
    format,
    omit_empty_values: m.boolOr('omit_empty_values', false),
    content_type: ct !== undefined && ct !== '' ? ct : format.kind === 'json' ? 'application/json' : 'text/plain',
  };
}

function responseMapper(ctx: Ctx, raw: unknown, path: string): ResponseMapper | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: `${HCM}.ResponseMapper`,
    fields: ['filter', 'status_code', 'body', 'body_format_override', 'headers_to_add'],
  });
  if (m === undefined) return undefined;
  const filter = m.require('filter') ? m.msg('filter', (r, p) => validateAccessLogFilter(ctx, r, p)) : undefined;
  const status = m.num('status_code', { int: true, min: 200, max: 599 });
  const body = m.msg('body', (r, p) => readDataSource(ctx, r, p));
  const override = m.msg('body_format_override', (r, p) => validateSubstitutionFormat(ctx, r, p));
  const headers = m.list('headers_to_add', (r, p) => {
    const h = validateHeaderValueOption(ctx, r, p);
    const bad = h === undefined ? undefined : formatError(() => compileTextFormat(h.header.value));
    if (bad !== undefined) ctx.err(`${p}.header.value`, bad);
    return bad === undefined ? h : undefined;
  });
  if ((m.rawList('headers_to_add')?.length ?? 0) > 1000) m.err('headers_to_add', 'at most 1000 headers');
  if (filter === undefined) return undefined;
  const out: ResponseMapper = { filter, headers_to_add: headers };
  if (status !== undefined) out.status_code = status;
  if (body !== undefined) out.body = body;
  if (override !== undefined) out.body_format_override = override;
  return out;
}

export function validateLocalReplyConfig(ctx: Ctx, raw: unknown, path: string): LocalReplyConfig | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${HCM}.LocalReplyConfig`, fields: ['mappers', 'body_format'] });
  if (m === undefined) return undefined;
  const out: LocalReplyConfig = { mappers: m.list('mappers', (r, p) => responseMapper(ctx, r, p)) };
  const bf = m.msg('body_format', (r, p) => validateSubstitutionFormat(ctx, r, p));
  if (bf !== undefined) out.body_format = bf;
  return out;
}
