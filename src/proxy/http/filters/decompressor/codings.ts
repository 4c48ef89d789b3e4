// HTTP filters (decompressor): Content-Encoding and Accept-Encoding edits, as Envoy's decompressor makes them.
import { cropLeft, cropRight, trimOws } from '../compression/headers.js';

/** True when `encoding` is the first coding of a Content-Encoding value (any case, any spacing) — Envoy's rule. */
export function firstCodingIs(contentEncoding: string, encoding: string): boolean {
  return trimOws(cropRight(contentEncoding, ',')).toLowerCase() === encoding.toLowerCase();
}

/** Content-Encoding without its first coding; undefined when nothing is left (the header goes). */
export function withoutFirstCoding(contentEncoding: string): string | undefined {
  const all = trimOws(contentEncoding);
  const rest = trimOws(cropLeft(all, ','));
  return rest === all || rest === '' ? undefined : rest;
}

/**
 * Accept-Encoding with `encoding` at the end and at full weight: any earlier mention of it (with its q-value) is
 * dropped, the rest kept in order — Envoy's HeaderUtility::addEncodingToAcceptEncoding.
 */
export function addAcceptEncoding(acceptEncoding: string | undefined, encoding: string): string {
  const out: string[] = [];
  if (acceptEncoding !== undefined) {
    for (const part of acceptEncoding.split(',')) {
      const token = trimOws(part);
      if (token.length === 0) continue;
      if (trimOws(cropRight(token, ';')) !== encoding) out.push(token);
    }
  }
  out.push(encoding);
  return out.join(',');
}
