// Config stage: envoy.type.v3.TokenBucket, shared by the HTTP and network local rate limit filters.
import { Ctx, Msg } from '../config/reader.js';
import type { TokenBucketConfig } from './token-bucket.js';

export function validateTokenBucket(ctx: Ctx, raw: unknown, path: string): TokenBucketConfig | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.v3.TokenBucket', fields: ['max_tokens', 'tokens_per_fill', 'fill_interval'] });
  if (m === undefined) return undefined;
  const max = m.num('max_tokens', { int: true, min: 1 });
  if (max === undefined) m.err('max_tokens', 'is required and must be > 0');
  const perFill = m.num('tokens_per_fill', { int: true, min: 1 }) ?? 1;
  const interval = m.dur('fill_interval');
  if (interval === undefined) m.err('fill_interval', 'is required');
  else if (interval < 50) m.err('fill_interval', 'must be at least 50ms, as in Envoy');
  if (max === undefined || interval === undefined || interval < 50) return undefined;
  return { max_tokens: max, tokens_per_fill: perFill, fill_interval: interval };
}
