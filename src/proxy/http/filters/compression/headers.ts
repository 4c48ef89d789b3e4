// HTTP filters (compression): header readings shared by the compressor and decompressor (tokens, no-transform, upgrades).
import type { HeaderMap } from '../../../router/types.js';
import { joinedHeader } from '../../../router/header-value.js';

/** Trims the whitespace Envoy's StringUtil::trim does (ASCII only). */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isOws(s.charCodeAt(a))) a++;
  while (b > a && isOws(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isOws(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** The part before the first `delim` (all of `s` when there is none). */
export function cropRight(s: string, delim: string): string {
  const i = s.indexOf(delim);
  return i < 0 ? s : s.slice(0, i);
}

/** The part after the first `delim` (all of `s` when there is none). */
export function cropLeft(s: string, delim: string): string {
  const i = s.indexOf(delim);
  return i < 0 ? s : s.slice(i + 1);
}

/** True when the comma-separated `value` holds `token` (trimmed, any case): Envoy's caseFindToken. */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const want = token.toLowerCase();
  for (const part of value.split(',')) if (trimOws(part).toLowerCase() === want) return true;
  return false;
}

export function hasNoTransform(headers: HeaderMap): boolean {
  return hasToken(joinedHeader(headers, 'cache-control'), 'no-transform');
}

/** The media type of a content-type value, without parameters: `text/html; charset=x` -> `text/html`. */
export function mediaType(headers: HeaderMap): string | undefined {
  const ct = joinedHeader(headers, 'content-type');
  return ct === undefined ? undefined : trimOws(cropRight(ct, ';'));
}

/** An HTTP/1.1 upgrade request (Connection: upgrade plus an Upgrade header), as Envoy's Utility::isUpgrade. */
export function isUpgradeRequest(headers: HeaderMap): boolean {
  return headers.upgrade !== undefined && hasToken(joinedHeader(headers, 'connection'), 'upgrade');
}

/** Codings a transfer-encoding may name that mean the body is already compressed. */
const COMPRESSING_CODINGS: ReadonlySet<string> = new Set(['gzip', 'br', 'deflate', 'compress', 'zstd']);

/** False when transfer-encoding already compresses (a known coding, or this library's own). */
export function transferEncodingAllows(headers: HeaderMap, ownEncoding: string): boolean {
  const te = joinedHeader(headers, 'transfer-encoding');
  if (te === undefined) return true;
  const own = ownEncoding.toLowerCase();
  for (const part of te.split(',')) {
    const c = trimOws(part).toLowerCase();
    if (COMPRESSING_CODINGS.has(c) || c === own) return false;
  }
  return true;
}
