// Network filters: Istio's istio.metadata_exchange config (envoy.tcp.metadataexchange.config.MetadataExchange) —
// the ALPN protocol that turns the exchange on; the same message configures the downstream and the upstream side.
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const METADATA_EXCHANGE_TYPE = `${TYPE_PREFIX}envoy.tcp.metadataexchange.config.MetadataExchange` as const;
export const METADATA_EXCHANGE_NAMES = ['istio.metadata_exchange', 'envoy.filters.network.metadata_exchange', 'envoy.filters.network.upstream.metadata_exchange'] as const;

export interface MetadataExchangeConfig {
  readonly '@type': typeof METADATA_EXCHANGE_TYPE;
  /** The exchange runs only on TLS connections that negotiated this ALPN protocol (Istio: istio-peer-exchange). */
  readonly protocol: string;
}

export function validateMetadataExchange(ctx: Ctx, body: Raw, path: string): MetadataExchangeConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'envoy.tcp.metadataexchange.config.MetadataExchange',
    fields: ['protocol'],
    // discovery fills peers from workload metadata when the exchange did not run: labels only, no routing or security
    ignored: ['enable_discovery'],
  });
  if (m === undefined) return undefined;
  const protocol = m.reqStr('protocol');
  return protocol === '' ? undefined : { '@type': METADATA_EXCHANGE_TYPE, protocol };
}
