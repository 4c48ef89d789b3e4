// HTTP/1.1 codec stage: RFC 9112 checks on a parsed request head (Host, absolute-form target, Content-Length) before it becomes a stream.
// llhttp already rejects bad tokens, bare CR/LF, duplicate Content-Length and Content-Length with Transfer-Encoding;
// these are the semantic rules it leaves to the server. Each returns an error code (answered 400) or null.
import { isIPv6 } from 'node:net';

const MAX_PORT_DIGITS = 5;

/** Why a request head is refused, or null when it may be forwarded. Codes end up in cx_protocol_error only. */
export function checkRequestHead(url: string, raw: readonly string[]): string | null {
  let hosts = 0;
  let host = '';
  let contentLength: string | undefined;
  let transferEncoding = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    // Cheap length gate before the case-insensitive compare: only 4, 14 and 17 byte names matter here.
    const n = name.length;
    if (n !== 4 && n !== 14 && n !== 17) continue;
    const lower = name.toLowerCase();
    const value = raw[i + 1];
    if (lower === 'host') {
      hosts++;
      host = value;
    } else if (lower === 'content-length') {
      if (!isContentLength(value)) return 'ERR_INVALID_CONTENT_LENGTH';
      if (contentLength !== undefined && contentLength !== value) return 'ERR_INVALID_CONTENT_LENGTH';
      contentLength = value;
    } else if (lower === 'transfer-encoding') {
      transferEncoding = true;
      // Envoy answers 501 to any coding but chunked: gzip/deflate/identity framing would be forwarded unverified
      if (!onlyChunked(value)) return 'ERR_UNSUPPORTED_TRANSFER_CODING';
    }
  }
  // RFC 9112 §3.2: more than one Host field line, or an invalid Host value, is a 400.
  if (hosts > 1) return 'ERR_DUPLICATE_HOST';
  if (hosts === 1 && host.length > 0 && !isValidAuthority(host)) return 'ERR_INVALID_HOST';
  // RFC 9112 §6.3: a message with both is a request smuggling vector; llhttp refuses it too.
  if (contentLength !== undefined && transferEncoding) return 'ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING';
  return checkTarget(url);
}

/** A Transfer-Encoding field value that lists only `chunked` (any case, optional whitespace, empty list items). */
function onlyChunked(value: string): boolean {
  let seen = false;
  for (const item of value.split(',')) {
    const coding = item.trim().toLowerCase();
    if (coding === '') continue;
    if (coding !== 'chunked') return false;
    seen = true;
  }
  return seen;
}

/** Absolute-form targets carry their own authority (which wins over Host, RFC 9112 §3.2.2): it must be valid, without userinfo. */
function checkTarget(url: string): string | null {
  const sep = url.indexOf('://');
  if (sep <= 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, sep))) return null; // origin-, asterisk- or authority-form
  const start = sep + 3;
  let end = start;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x23 /* # */) break;
    end++;
  }
  const authority = url.slice(start, end);
  // RFC 9110 §4.2.4: userinfo in an http(s) URI is deprecated and a phishing vector; refuse it rather than route on it.
  if (authority.includes('@')) return 'ERR_USERINFO_IN_TARGET';
  if (authority.length === 0 || !isValidAuthority(authority)) return 'ERR_INVALID_TARGET_AUTHORITY';
  return null;
}

/** Content-Length is 1*DIGIT (no sign, no list) and must stay exact as a JS number. */
export function isContentLength(v: string): boolean {
  if (v.length === 0 || v.length > 16) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return Number(v) <= Number.MAX_SAFE_INTEGER;
}

/**
 * RFC 3986 authority without userinfo: host [":" port], host being an IP-literal ("[" IPv6 "]"), an IPv4
 * address or a reg-name (unreserved / pct-encoded / sub-delims). IPvFuture literals are not accepted.
 */
export function isValidAuthority(s: string): boolean {
  if (s.length === 0) return false;
  let portStart: number;
  if (s.charCodeAt(0) === 0x5b /* [ */) {
    const close = s.indexOf(']');
    if (close < 0 || isIPv6(s.slice(1, close)) === false) return false;
    if (close === s.length - 1) return true;
    if (s.charCodeAt(close + 1) !== 0x3a /* : */) return false;
    portStart = close + 2;
  } else {
    const colon = s.indexOf(':');
    const hostEnd = colon < 0 ? s.length : colon;
    if (hostEnd === 0 || !isRegName(s, hostEnd)) return false;
    if (colon < 0) return true;
    portStart = colon + 1;
  }
  const digits = s.length - portStart;
  if (digits > MAX_PORT_DIGITS) return false;
  for (let i = portStart; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** reg-name = *( unreserved / pct-encoded / sub-delims ), checked on s[0, end). */
function isRegName(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      if (i + 2 >= end || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
      continue;
    }
    if (c >= 0x80 || REG_NAME[c] !== 1) return false;
  }
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** unreserved (ALPHA DIGIT - . _ ~) and sub-delims (! $ & ' ( ) * + , ; =), by ASCII code. */
const REG_NAME = new Uint8Array(128);
for (const ch of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=") REG_NAME[ch.charCodeAt(0)] = 1;
