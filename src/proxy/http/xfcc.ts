// HTTP: x-forwarded-client-cert — removed, kept, or extended with the verified client certificate, per the HCM's
// forward_client_cert_details (Envoy's semantics: only an mTLS connection may pass or add certificate details).
import { createHash } from 'node:crypto';
import type { HttpConnectionManager } from '../config/types.js';
import type { HeaderMap } from '../router/types.js';
import type { DownstreamConnectionInfo } from './types.js';

const XFCC = 'x-forwarded-client-cert';

export interface XfccOptions {
  mode: NonNullable<HttpConnectionManager['forward_client_cert_details']>;
  details: NonNullable<HttpConnectionManager['set_current_client_cert_details']>;
}

export function xfccOptions(c: HttpConnectionManager): XfccOptions {
  return { mode: c.forward_client_cert_details ?? 'SANITIZE', details: c.set_current_client_cert_details ?? { subject: false, cert: false, dns: false, uri: false } };
}

type ConnTls = DownstreamConnectionInfo['tls'];

/** PEM of a DER certificate, URL-encoded as Envoy writes Cert="…". */
function urlEncodedPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return encodeURIComponent(`-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`);
}

/** One XFCC element for this connection: By (our URI SANs), Hash, then the asked-for details in Envoy's order. */
export function xfccElement(tls: NonNullable<ConnTls>, der: Buffer, d: XfccOptions['details']): string {
  const parts: string[] = [];
  for (const by of tls.localUriSans ?? []) parts.push(`By=${by}`);
  parts.push(`Hash=${createHash('sha256').update(der).digest('hex')}`);
  if (d.cert) parts.push(`Cert="${urlEncodedPem(der)}"`);
  if (d.subject) parts.push(`Subject="${(tls.peerSubject ?? '').replace(/["\\]/g, '\\$&')}"`);
  if (d.uri) for (const u of tls.peerUriSans) parts.push(`URI=${u}`);
  if (d.dns) for (const n of tls.peerDnsSans ?? []) parts.push(`DNS=${n}`);
  return parts.join(';');
}

/** The element is the same for every request of a connection: made once per connection and HCM (hashing is not per request). */
const elements = new WeakMap<NonNullable<ConnTls>, WeakMap<XfccOptions['details'], string>>();

function connectionElement(tls: NonNullable<ConnTls>, der: Buffer, d: XfccOptions['details']): string {
  let byDetails = elements.get(tls);
  if (byDetails === undefined) elements.set(tls, (byDetails = new WeakMap()));
  let el = byDetails.get(d);
  if (el === undefined) byDetails.set(d, (el = xfccElement(tls, der, d)));
  return el;
}

/** Applies the mode to the request's headers: a header from a client without a verified certificate never passes. */
export function applyXfcc(headers: HeaderMap, tls: ConnTls, o: XfccOptions): void {
  const der = tls?.peerCertificate;
  if (der === undefined) {
    if (o.mode !== 'ALWAYS_FORWARD_ONLY') delete headers[XFCC];
    return;
  }
  switch (o.mode) {
    case 'SANITIZE':
      delete headers[XFCC];
      return;
    case 'FORWARD_ONLY':
    case 'ALWAYS_FORWARD_ONLY':
      return;
    case 'APPEND_FORWARD': {
      const cur = headers[XFCC];
      const prev = cur === undefined ? '' : Array.isArray(cur) ? cur.join(',') : cur;
      const el = connectionElement(tls!, der, o.details);
      headers[XFCC] = prev === '' ? el : `${prev},${el}`;
      return;
    }
    case 'SANITIZE_SET':
      headers[XFCC] = connectionElement(tls!, der, o.details);
      return;
  }
}
