// TLS: combined_validation_context — the validation context an SDS secret delivers, merged over the configured default.
import type { CertificateValidationContext } from '../config/types.js';

/**
 * Envoy's merge (protobuf MergeFrom of the dynamic context into the default): singular fields the dynamic context
 * sets win, repeated fields are concatenated (default first), flags are OR-ed. So a mesh root from SDS keeps the SAN
 * matchers the cluster configured.
 */
export function mergeValidationContexts(base: CertificateValidationContext, dynamic: CertificateValidationContext): CertificateValidationContext {
  const out: CertificateValidationContext = {
    match_typed_subject_alt_names: [...base.match_typed_subject_alt_names, ...dynamic.match_typed_subject_alt_names],
    verify_certificate_spki: [...base.verify_certificate_spki, ...dynamic.verify_certificate_spki],
    verify_certificate_hash: [...base.verify_certificate_hash, ...dynamic.verify_certificate_hash],
  };
  const ca = dynamic.trusted_ca ?? base.trusted_ca;
  if (ca !== undefined) out.trusted_ca = ca;
  if (base.system_root_certs === true || dynamic.system_root_certs === true) out.system_root_certs = true;
  return out;
}
