// TLS: the proxy's secrets by name (SDS): TLS contexts that name a secret read it here and hear when it changes.
import type { ConnectionOptions } from 'node:tls';
import type { CertificateValidationContext, CommonTlsContext, TlsCertificate } from '../config/types.js';
import { mergeValidationContexts } from './validation-merge.js';

/** Connect options while a secret an upstream TLS context names has not arrived: every handshake fails. */
export const SECRET_PENDING_TLS: ConnectionOptions = {
  checkServerIdentity: () => new Error('a TLS secret this cluster names through SDS has not arrived yet'),
};

/** A Secret's payload: a certificate with its key, or a validation context (trusted CA, SAN checks). */
export interface TlsSecret {
  tls_certificate?: TlsCertificate;
  validation_context?: CertificateValidationContext;
}

/** The secret names a TLS context reads through SDS. */
export function sdsNames(common: CommonTlsContext): string[] {
  const names = common.tls_certificate_sds_secret_configs.map((r) => r.name);
  const v = common.validation_context_sds_secret_config;
  if (v !== undefined) names.push(v.name);
  return names;
}

export class SecretManager {
  private readonly secrets = new Map<string, TlsSecret>();
  private readonly watchers = new Map<string, Set<() => void>>();

  get(name: string): TlsSecret | undefined {
    return this.secrets.get(name);
  }

  names(): string[] {
    return [...this.secrets.keys()];
  }

  /** Adds or replaces a secret; contexts that name it rebuild (new connections use it, open ones keep theirs). */
  set(name: string, secret: TlsSecret): void {
    this.secrets.set(name, secret);
    this.notify(name);
  }

  delete(name: string): void {
    if (this.secrets.delete(name)) this.notify(name);
  }

  /** Calls `onChange` whenever one of `names` is set or deleted; returns the unsubscribe. */
  watch(names: readonly string[], onChange: () => void): () => void {
    for (const n of names) {
      let set = this.watchers.get(n);
      if (set === undefined) this.watchers.set(n, (set = new Set()));
      set.add(onChange);
    }
    return () => {
      for (const n of names) {
        const set = this.watchers.get(n);
        set?.delete(onChange);
        if (set?.size === 0) this.watchers.delete(n);
      }
    };
  }

  /**
   * The context with its SDS references replaced by the secrets' contents; undefined while one is missing or of
   * the wrong kind (the context must not be used then: a server without its certificate, or a client without its
   * trusted CA, would not be the configured one).
   */
  resolve(common: CommonTlsContext): CommonTlsContext | undefined {
    if (common.tls_certificate_sds_secret_configs.length === 0 && common.validation_context_sds_secret_config === undefined) return common;
    const certs = [...common.tls_certificates];
    for (const ref of common.tls_certificate_sds_secret_configs) {
      const c = this.secrets.get(ref.name)?.tls_certificate;
      if (c === undefined) return undefined;
      certs.push(c);
    }
    let vc = common.validation_context;
    const vref = common.validation_context_sds_secret_config;
    if (vref !== undefined) {
      const dynamic = this.secrets.get(vref.name)?.validation_context;
      if (dynamic === undefined) return undefined;
      // a validation_context beside the reference is a combined_validation_context's default
      vc = vc === undefined ? dynamic : mergeValidationContexts(vc, dynamic);
    }
    const out: CommonTlsContext = { ...common, tls_certificates: certs, tls_certificate_sds_secret_configs: [] };
    delete out.validation_context_sds_secret_config;
    if (vc !== undefined) out.validation_context = vc;
    return out;
  }

  private notify(name: string): void {
    const set = this.watchers.get(name);
    if (set === undefined) return;
    for (const cb of [...set]) cb();
  }
}
