// Listener filters: http_inspector — tells an HTTP/2 prior-knowledge preface from an HTTP/1.x request line.
export type HttpDetectResult = 'need-more' | 'h2c' | 'http/1.1' | 'http/1.0' | 'not-http';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Envoy's http_inspector gives up after this many bytes without a full request line. */
export const MAX_HTTP_INSPECT = 64 * 1024;

/** RFC 9110 token characters, for the method. */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Decides as soon as the bytes seen can only be one thing, so slow clients are not waited on needlessly. */
export function detectHttp(buf: Buffer): HttpDetectResult {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) {
    return buf.length >= H2_PREFACE.length ? 'h2c' : 'need-more';
  }
  const eol = buf.indexOf('\r\n', 0, 'latin1');
  if (eol < 0) {
    if (buf.length > MAX_HTTP_INSPECT) return 'not-http';
    // Bail out early if what we have cannot begin a request line (e.g. binary protocols).
    const sp = buf.indexOf(0x20);
    const method = buf.toString('latin1', 0, sp < 0 ? buf.length : sp);
    return method.length === 0 || TCHAR.test(method) ? 'need-more' : 'not-http';
  }
  const parts = buf.toString('latin1', 0, eol).split(' ');
  if (parts.length !== 3 || !TCHAR.test(parts[0]!) || parts[1]!.length === 0) return 'not-http';
  if (parts[2] === 'HTTP/1.1') return 'http/1.1';
  if (parts[2] === 'HTTP/1.0') return 'http/1.0';
  return 'not-http';
}
