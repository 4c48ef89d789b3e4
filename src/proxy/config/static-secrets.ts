// Config stage: puts the static secrets a TLS context names through SDS (no sds_config) into the context itself,
// so the TLS code reads certificates and validation contexts from one place.
import type { Bootstrap, CommonTlsContext } from './types.js';
import type { Ctx } from './reader.js';
import { mergeValidationContexts } from '../tls/validation-merge.js';

type Secret = Bootstrap['static_resources']['secrets'][number];

/** Resolves `common`'s SDS references against `secrets`; a reference to the wrong kind of secret is an error at `path`. */
function resolve(ctx: Ctx, common: CommonTlsContext, secrets: ReadonlyMap<string, Secret>, path: string): void {
  const unresolved: { name: string }[] = [];
  for (const ref of common.tls_certificate_sds_secret_configs) {
    const s = secrets.get(ref.name);
    if (s === undefined) unresolved.push(ref); // unknown names are reported by the bootstrap's cross-check
    else if (s.tls_certificate === undefined) ctx.err(`${path}.tls_certificate_sds_secret_configs`, `secret "${ref.name}" is a validation_context, not a tls_certificate`);
    else common.tls_certificates.push(s.tls_certificate);
  }
  common.tls_certificate_sds_secret_configs = unresolved;
  const vref = common.validation_context_sds_secret_config;
  const v = vref === undefined ? undefined : secrets.get(vref.name);
  if (vref === undefined || v === undefined) return;
  if (v.validation_context === undefined) ctx.err(`${path}.validation_context_sds_secret_config`, `secret "${vref.name}" is a tls_certificate, not a validation_context`);
  else {
    // a validation_context already there is a combined_validation_context's default: the secret merges over it
    common.validation_context = common.validation_context === undefined ? v.validation_context : mergeValidationContexts(common.validation_context, v.validation_context);
    delete common.validation_context_sds_secret_config;
  }
}

/** Every listener's and cluster's TLS context gets the static secrets it references. */
export function inlineStaticSecrets(ctx: Ctx, b: Bootstrap): void {
  const secrets = new Map(b.static_resources.secrets.map((s) => [s.name, s]));
  if (secrets.size === 0) return;
  b.static_resources.listeners.forEach((l, i) => {
    const chains = l.default_filter_chain === undefined ? l.filter_chains : [...l.filter_chains, l.default_filter_chain];
    chains.forEach((fc, j) => {
      const ts = fc.transport_socket;
      const at = j < l.filter_chains.length ? `filter_chains[${j}]` : 'default_filter_chain';
      if (ts !== undefined) resolve(ctx, ts.typed_config.common_tls_context, secrets, `static_resources.listeners[${i}].${at}.transport_socket.typed_config.common_tls_context`);
    });
  });
  b.static_resources.clusters.forEach((c, i) => {
    const ts = c.transport_socket;
    if (ts !== undefined) resolve(ctx, ts.typed_config.common_tls_context, secrets, `static_resources.clusters[${i}].transport_socket.typed_config.common_tls_context`);
    (c.transport_socket_matches ?? []).forEach((tm, j) => {
      const mts = tm.transport_socket;
      if (mts !== undefined) resolve(ctx, mts.typed_config.common_tls_context, secrets, `static_resources.clusters[${i}].transport_socket_matches[${j}].transport_socket.typed_config.common_tls_context`);
    });
  });
}
