// Config stage: validates TLS contexts, certificates, validation contexts, secrets and transport sockets.
import type {
  Bootstrap,
  CertificateValidationContext,
  CommonTlsContext,
  DownstreamTlsContext,
  SubjectAltNameMatcher,
  TlsCertificate,
  TransportSocket,
  UpstreamTlsContext,
} from './types.js';
import { Ctx, Msg, TYPE_PREFIX, join, typeName, unpackAny } from './reader.js';
import { readDataSource } from './common.js';
import { validateStringMatcher } from './matchers.js';

export const DOWNSTREAM_TLS_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext` as const;
export const UPSTREAM_TLS_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext` as const;
const TLS_NAMES = ['envoy.transport_sockets.tls', 'tls'];
const RAW_BUFFER_NAMES = ['envoy.transport_sockets.raw_buffer', 'raw_buffer'];
const RAW_BUFFER_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`;

const TLS_VERSIONS = ['TLS_AUTO', 'TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'] as const;

/** A secret named through SDS: a static one (no sds_config, checked against static_resources.secrets) or one over ADS. */
export interface SecretRef {
  name: string;
  path: string;
  ads: boolean;
}

export function validateTlsCertificate(ctx: Ctx, raw: unknown, path: string): TlsCertificate | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.transport_sockets.tls.v3.TlsCertificate', fields: ['certificate_chain', 'private_key'] });
  if (m === undefined) return undefined;
  m.require('certificate_chain');
  m.require('private_key');
  const chain = m.msg('certificate_chain', (r, p) => readDataSource(ctx, r, p));
  const key = m.msg('private_key', (r, p) => readDataSource(ctx, r, p));
  if (chain === undefined || key === undefined) return undefined;
  return { certificate_chain: chain, private_key: key };
}

const SAN_TYPES = ['EMAIL', 'DNS', 'URI', 'IP_ADDRESS'] as const;

function validateSanMatcher(ctx: Ctx, raw: unknown, path: string): SubjectAltNameMatcher | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.transport_sockets.tls.v3.SubjectAltNameMatcher', fields: ['san_type', 'matcher'] });
  if (m === undefined) return undefined;
  if (!m.require('san_type') || !m.require('matcher')) return undefined;
  const sanType = m.enumOpt('san_type', SAN_TYPES);
  const matcher = m.msg('matcher', (r, p) => validateStringMatcher(ctx, r, p));
  return sanType === undefined || matcher === undefined ? undefined : { san_type: sanType, matcher };
}

export function validateValidationContext(ctx: Ctx, raw: unknown, path: string): CertificateValidationContext | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.transport_sockets.tls.v3.CertificateValidationContext',
    fields: ['trusted_ca', 'system_root_certs', 'match_typed_subject_alt_names', 'match_subject_alt_names', 'verify_certificate_spki', 'verify_certificate_hash', 'trust_chain_verification'],
  });
  if (m === undefined) return undefined;
  if (m.has('match_typed_subject_alt_names') && m.has('match_subject_alt_names')) {
    m.err('match_subject_alt_names', 'cannot be combined with match_typed_subject_alt_names (Envoy refuses both); move the matchers into match_typed_subject_alt_names');
  }
  // the deprecated untyped matchers apply to every SAN kind, as Envoy expands them
  const untyped = m.list('match_subject_alt_names', (r, p) => validateStringMatcher(ctx, r, p));
  const anyKind = untyped.flatMap((matcher) => SAN_TYPES.map((san_type) => ({ san_type, matcher })));
  // only the default (verify) is implemented; ACCEPT_UNTRUSTED would weaken security silently
  m.enumOr('trust_chain_verification', ['VERIFY_TRUST_CHAIN'], 'VERIFY_TRUST_CHAIN');
  const out: CertificateValidationContext = {
    match_typed_subject_alt_names: [...m.list('match_typed_subject_alt_names', (r, p) => validateSanMatcher(ctx, r, p)), ...anyKind],
    verify_certificate_spki: m.strList('verify_certificate_spki'),
    verify_certificate_hash: m.strList('verify_certificate_hash'),
  };
  const ca = m.msg('trusted_ca', (r, p) => readDataSource(ctx, r, p));
  if (ca !== undefined) out.trusted_ca = ca;
  if (m.has('system_root_certs')) {
    Msg.open(ctx, m.raw('system_root_certs'), m.at('system_root_certs'), { type: 'extensions.transport_sockets.tls.v3.CertificateValidationContext.SystemRootCerts', fields: [] });
    out.system_root_certs = true;
  }
  return out;
}

function validateSdsRef(ctx: Ctx, raw: unknown, path: string, secretRefs: SecretRef[]): { name: string } | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.transport_sockets.tls.v3.SdsSecretConfig', fields: ['name', 'sds_config'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  if (m.has('sds_config')) {
    m.msg('sds_config', (r, p) => {
      const c = Msg.open(ctx, r, p, { type: 'config.core.v3.ConfigSource', fields: ['ads', 'resource_api_version'], ignored: ['initial_fetch_timeout'] });
      c?.enumOr('resource_api_version', ['V3'], 'V3');
      if (c !== undefined && !c.has('ads')) ctx.err(p, 'only sds_config {ads: {}} is supported by trellis');
      return undefined;
    });
    if (name !== '') secretRefs.push({ name, path: m.at('name'), ads: true });
  } else if (name !== '') {
    secretRefs.push({ name, path: m.at('name'), ads: false });
  }
  return name === '' ? undefined : { name };
}

export function validateCommonTlsContext(ctx: Ctx, raw: unknown, path: string, secretRefs: SecretRef[]): CommonTlsContext | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.transport_sockets.tls.v3.CommonTlsContext',
    fields: ['tls_params', 'tls_certificates', 'tls_certificate_sds_secret_configs', 'validation_context', 'validation_context_sds_secret_config', 'combined_validation_context', 'alpn_protocols'],
  });
  if (m === undefined) return undefined;
  const params = m.msg('tls_params', (r, p) => {
    const t = Msg.open(ctx, r, p, {
      type: 'extensions.transport_sockets.tls.v3.TlsParameters',
      fields: ['tls_minimum_protocol_version', 'tls_maximum_protocol_version', 'cipher_suites', 'ecdh_curves'],
    });
    if (t === undefined) return undefined;
    const min = t.enumOr('tls_minimum_protocol_version', TLS_VERSIONS, 'TLS_AUTO');
    const max = t.enumOr('tls_maximum_protocol_version', TLS_VERSIONS, 'TLS_AUTO');
    if (min !== 'TLS_AUTO' && max !== 'TLS_AUTO' && TLS_VERSIONS.indexOf(min) > TLS_VERSIONS.indexOf(max)) {
      t.err('tls_maximum_protocol_version', `${max} is lower than tls_minimum_protocol_version ${min}`);
    }
    return { tls_minimum_protocol_version: min, tls_maximum_protocol_version: max, cipher_suites: t.strList('cipher_suites'), ecdh_curves: t.strList('ecdh_curves') };
  });
  const out: CommonTlsContext = {
    tls_certificates: m.list('tls_certificates', (r, p) => validateTlsCertificate(ctx, r, p)),
    alpn_protocols: m.strList('alpn_protocols'),
    tls_params: params ?? { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
    tls_certificate_sds_secret_configs: m.list('tls_certificate_sds_secret_configs', (r, p) => validateSdsRef(ctx, r, p, secretRefs)),
  };
  switch (m.oneof(['validation_context', 'validation_context_sds_secret_config', 'combined_validation_context'], false)) {
    case 'validation_context': {
      const vc = m.msg('validation_context', (r, p) => validateValidationContext(ctx, r, p));
      if (vc !== undefined) out.validation_context = vc;
      break;
    }
    case 'validation_context_sds_secret_config': {
      const s = m.msg('validation_context_sds_secret_config', (r, p) => validateSdsRef(ctx, r, p, secretRefs));
      if (s !== undefined) out.validation_context_sds_secret_config = s;
      break;
    }
    case 'combined_validation_context':
      m.msg('combined_validation_context', (r, p) => {
        // kept as both fields: the secret is merged over the default when it arrives (SecretManager.resolve)
        const c = Msg.open(ctx, r, p, {
          type: 'extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext',
          fields: ['default_validation_context', 'validation_context_sds_secret_config'],
        });
        if (c === undefined) return undefined;
        c.require('default_validation_context');
        c.require('validation_context_sds_secret_config');
        const vc = c.msg('default_validation_context', (vr, vp) => validateValidationContext(ctx, vr, vp));
        const s = c.msg('validation_context_sds_secret_config', (sr, sp) => validateSdsRef(ctx, sr, sp, secretRefs));
        if (vc !== undefined) out.validation_context = vc;
        if (s !== undefined) out.validation_context_sds_secret_config = s;
        return undefined;
      });
      break;
  }
  return out;
}

function validateDownstream(ctx: Ctx, body: Record<string, unknown>, path: string, secretRefs: SecretRef[]): DownstreamTlsContext | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    fields: ['common_tls_context', 'require_client_certificate'],
    ignored: ['session_timeout', 'disable_stateless_session_resumption', 'disable_stateful_session_resumption'], // resumption tuning
  });
  if (m === undefined) return undefined;
  const common = m.msg('common_tls_context', (r, p) => validateCommonTlsContext(ctx, r, p, secretRefs));
  const requireClient = m.boolOr('require_client_certificate', false);
  if (common !== undefined) {
    if (common.tls_certificates.length === 0 && common.tls_certificate_sds_secret_configs.length === 0) {
      ctx.err(join(path, 'common_tls_context.tls_certificates'), 'a server TLS context needs at least one certificate');
    }
    if (requireClient && common.validation_context === undefined && common.validation_context_sds_secret_config === undefined) {
      m.err('require_client_certificate', 'require_client_certificate needs common_tls_context.validation_context (a trusted_ca to verify clients)');
    }
  } else {
    m.err('common_tls_context', 'is required');
  }
  if (common === undefined) return undefined;
  return { '@type': DOWNSTREAM_TLS_TYPE, common_tls_context: common, require_client_certificate: requireClient };
}

function validateUpstream(ctx: Ctx, body: Record<string, unknown>, path: string, secretRefs: SecretRef[]): UpstreamTlsContext | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    fields: ['common_tls_context', 'sni', 'allow_renegotiation'],
    ignored: ['max_session_keys'], // session cache size
  });
  if (m === undefined) return undefined;
  const common = m.msg('common_tls_context', (r, p) => validateCommonTlsContext(ctx, r, p, secretRefs)) ?? {
    tls_certificates: [],
    alpn_protocols: [],
    tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
    tls_certificate_sds_secret_configs: [],
  };
  const out: UpstreamTlsContext = { '@type': UPSTREAM_TLS_TYPE, common_tls_context: common, allow_renegotiation: m.boolOr('allow_renegotiation', false) };
  const sni = m.str('sni');
  if (sni !== undefined) out.sni = sni;
  return out;
}

/** A transport_socket: TLS (returned) or raw_buffer (plain text, returns undefined). */
export function validateTransportSocket<D extends 'downstream' | 'upstream'>(
  ctx: Ctx,
  raw: unknown,
  path: string,
  side: D,
  secretRefs: SecretRef[],
): TransportSocket<D extends 'downstream' ? DownstreamTlsContext : UpstreamTlsContext> | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.TransportSocket', fields: ['name', 'typed_config'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  const expected = side === 'downstream' ? DOWNSTREAM_TLS_TYPE : UPSTREAM_TLS_TYPE;
  if (!m.has('typed_config')) {
    if (RAW_BUFFER_NAMES.includes(name)) return undefined;
    if (TLS_NAMES.includes(name)) m.err('typed_config', `is required for ${name}`);
    else if (name !== '') m.err('name', `transport socket "${name}" is not supported by trellis; supported: envoy.transport_sockets.tls, envoy.transport_sockets.raw_buffer`);
    return undefined;
  }
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  if (any.typeUrl === RAW_BUFFER_TYPE) return undefined;
  if (any.typeUrl !== expected) {
    const other = side === 'downstream' ? UPSTREAM_TLS_TYPE : DOWNSTREAM_TLS_TYPE;
    const why = any.typeUrl === other ? `a ${side} transport socket needs ${typeName(expected)}` : `transport socket ${typeName(any.typeUrl)} is not supported by trellis`;
    ctx.err(join(m.at('typed_config'), '@type'), why);
    return undefined;
  }
  if (name !== '' && !TLS_NAMES.includes(name)) ctx.err(m.at('name'), `${typeName(expected)} does not match transport socket name "${name}" (expected envoy.transport_sockets.tls)`);
  const tc = side === 'downstream' ? validateDownstream(ctx, any.body, any.path, secretRefs) : validateUpstream(ctx, any.body, any.path, secretRefs);
  if (tc === undefined) return undefined;
  return { name, typed_config: tc } as TransportSocket<D extends 'downstream' ? DownstreamTlsContext : UpstreamTlsContext>;
}

/** extensions.transport_sockets.tls.v3.Secret: a static secret, or one delivered over SDS. */
export function secret(ctx: Ctx, raw: unknown, path: string): Bootstrap['static_resources']['secrets'][number] | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.transport_sockets.tls.v3.Secret', fields: ['name', 'tls_certificate', 'validation_context'] });
  if (m === undefined) return undefined;
  const out: Bootstrap['static_resources']['secrets'][number] = { name: m.reqStr('name') };
  const which = m.oneof(['tls_certificate', 'validation_context'], true);
  if (which === 'tls_certificate') {
    const c = m.msg(which, (r, p) => validateTlsCertificate(ctx, r, p));
    if (c !== undefined) out.tls_certificate = c;
  } else if (which === 'validation_context') {
    const v = m.msg(which, (r, p) => validateValidationContext(ctx, r, p));
    if (v !== undefined) out.validation_context = v;
  }
  return out;
}
