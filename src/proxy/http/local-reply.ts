// HTTP: Envoy's response flags and the local replies the proxy generates itself (with gRPC mapping).

/** Envoy's short response flags, as they appear in %RESPONSE_FLAGS% and the access log. */
export const Flag = {
  NoRoute: 'NR',
  NoClusterFound: 'NC',
  NoHealthyUpstream: 'UH',
  UpstreamConnectionFailure: 'UF',
  UpstreamOverflow: 'UO',
  UpstreamRequestTimeout: 'UT',
  UpstreamRetryLimitExceeded: 'URX',
  UpstreamConnectionTermination: 'UC',
  UpstreamRemoteReset: 'UR',
  DownstreamConnectionTermination: 'DC',
  LocalReset: 'LR',
  DelayInjected: 'DI',
  FaultInjected: 'FI',
  StreamIdleTimeout: 'SI',
  DownstreamProtocolError: 'DPE',
  UpstreamProtocolError: 'UPE',
  DurationTimeout: 'DT',
  DnsResolutionFailed: 'DF',
  UnauthorizedExternalService: 'UAEX',
  RateLimited: 'RL',
  FailedLocalHealthCheck: 'LH',
} as const;
export type ResponseFlag = (typeof Flag)[keyof typeof Flag];

/** HTTP status → gRPC status, as Envoy maps local replies for gRPC requests. */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/** Bodies of Envoy's local replies, so clients and tests see the familiar text. */
export const LocalBody = {
  noHealthyUpstream: 'no healthy upstream',
  connectFailure: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  reset: 'upstream connect error or disconnect/reset before headers. reset reason: remote reset',
  overflow: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
  timeout: 'upstream request timeout',
  faultAbort: 'fault filter abort',
  noCluster: 'cluster not found',
  streamIdle: 'stream timeout',
  requestTimeout: 'request timeout',
} as const;
