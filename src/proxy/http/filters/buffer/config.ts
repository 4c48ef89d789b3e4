// HTTP filters: envoy.filters.http.buffer config — Buffer and the per-route BufferPerRoute, validated once.
import type { HttpFilterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const BUFFER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.buffer.v3.Buffer` as const;
export const BUFFER_PER_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.buffer.v3.BufferPerRoute` as const;

export interface BufferConfig extends HttpFilterConfig {
  readonly '@type': typeof BUFFER_TYPE;
  /** The most request body held before the stream answers 413. */
  max_request_bytes: number;
}

export interface BufferPerRoute extends HttpFilterConfig {
  readonly '@type': typeof BUFFER_PER_ROUTE_TYPE;
  /** Either the filter is off for the route, or the route has its own limit. */
  override: { kind: 'disabled' } | { kind: 'buffer'; max_request_bytes: number };
}

function maxBytes(ctx: Ctx, body: unknown, path: string): number | undefined {
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.http.buffer.v3.Buffer', fields: ['max_request_bytes'] });
  if (m === undefined || !m.require('max_request_bytes')) return undefined;
  return m.num('max_request_bytes', { int: true, min: 1, max: 0xffffffff });
}

export function validateBuffer(ctx: Ctx, body: Raw, path: string): BufferConfig | undefined {
  const max = maxBytes(ctx, body, path);
  return max === undefined ? undefined : { '@type': BUFFER_TYPE, max_request_bytes: max };
}

export function validateBufferPerRoute(ctx: Ctx, body: Raw, path: string): BufferPerRoute | undefined {
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.http.buffer.v3.BufferPerRoute', fields: ['disabled', 'buffer'] });
  if (m === undefined) return undefined;
  switch (m.oneof(['disabled', 'buffer'], true)) {
    case 'disabled': {
      const d = m.bool('disabled');
      if (d === false) m.err('disabled', 'must be true (leave the field out to keep the filter on)');
      return d === true ? { '@type': BUFFER_PER_ROUTE_TYPE, override: { kind: 'disabled' } } : undefined;
    }
    case 'buffer': {
      const max = m.msg('buffer', (r, p) => maxBytes(ctx, r, p));
      return max === undefined ? undefined : { '@type': BUFFER_PER_ROUTE_TYPE, override: { kind: 'buffer', max_request_bytes: max } };
    }
    default:
      return undefined;
  }
}
