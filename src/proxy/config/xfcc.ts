// Config stage: the HCM's x-forwarded-client-cert settings (forward_client_cert_details, set_current_client_cert_details).
import type { HttpConnectionManager } from './types.js';
import { Msg, type Ctx } from './reader.js';

export const XFCC_MODES = ['SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET', 'ALWAYS_FORWARD_ONLY'] as const;

/** Reads both fields of the HCM message `m` into `out` (absent = SANITIZE, Envoy's default). */
export function validateXfcc(ctx: Ctx, m: Msg, out: HttpConnectionManager): void {
  const mode = m.enumOpt('forward_client_cert_details', XFCC_MODES);
  if (mode !== undefined) out.forward_client_cert_details = mode;
  const details = m.msg('set_current_client_cert_details', (r, p) => {
    const d = Msg.open(ctx, r, p, {
      type: 'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.SetCurrentClientCertDetails',
      fields: ['subject', 'cert', 'dns', 'uri'],
    });
    if (d === undefined) return undefined;
    return { subject: d.boolOr('subject', false), cert: d.boolOr('cert', false), dns: d.boolOr('dns', false), uri: d.boolOr('uri', false) };
  });
  if (details !== undefined) out.set_current_client_cert_details = details;
}
