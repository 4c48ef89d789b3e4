// HTTP: the request body length announced upstream — a content-length a filter set (the buffer filter on a
// chunked request) wins over what the downstream codec saw.
import type { HeaderMap } from '../router/types.js';

const DIGITS = /^\d{1,15}$/;

/** -1 = unknown (chunked on HTTP/1.1). */
export function requestBodyLength(headers: HeaderMap, codecLength: number): number {
  const cl = headers['content-length'];
  return typeof cl === 'string' && DIGITS.test(cl) ? Number(cl) : codecLength;
}
