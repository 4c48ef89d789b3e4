// HTTP filters: csrf's origin parsing — the host[:port] of an Origin or Referer URL, as Envoy's Url::hostAndPort gives it.

/** scheme "://" authority, the authority ending at the path, query or fragment. */
const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/**
 * The host and port of an absolute URL ("https://a.example:8443/x" -> "a.example:8443"), without any userinfo.
 * A value that is not an absolute URL with a host (e.g. "null") is returned as it is; '' stays ''.
 */
export function hostAndPort(value: string): string {
  if (value === '') return '';
  const m = ABSOLUTE_URL.exec(value);
  if (m === null) return value;
  const authority = m[1]!;
  const at = authority.lastIndexOf('@');
  const hp = at < 0 ? authority : authority.slice(at + 1);
  return hp === '' ? value : hp;
}

const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** Only state-changing methods are checked. */
export function isModifyMethod(method: string): boolean {
  return MUTATING.has(method);
}

/** The Origin header's host and port, else the Referer's ('' when neither is there). */
export function sourceOrigin(origin: string | undefined, referer: string | undefined): string {
  const o = hostAndPort(origin ?? '');
  return o !== '' ? o : hostAndPort(referer ?? '');
}

/** The request's own origin: its :authority read as `<scheme>://<authority>`. */
export function targetOrigin(scheme: string, authority: string): string {
  return authority === '' ? '' : hostAndPort(`${scheme}://${authority}`);
}
