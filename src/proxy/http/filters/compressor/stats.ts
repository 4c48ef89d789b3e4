// HTTP filters (compressor): Envoy's compressor stats under http.<stat_prefix>.compressor.<library name>.<library stat prefix>.
import type { Counter, StatsScope } from '../../../telemetry/stats.js';
import type { CompressorConfig } from './config.js';
import type { HeaderStat } from './encoding-choice.js';

/** Stats both directions keep. */
export class DirectionStats {
  readonly compressed: Counter;
  readonly notCompressed: Counter;
  readonly uncompressedBytes: Counter;
  readonly compressedBytes: Counter;
  readonly contentLengthTooSmall: Counter;

  constructor(s: StatsScope) {
    this.compressed = s.counter('compressed');
    this.notCompressed = s.counter('not_compressed');
    this.uncompressedBytes = s.counter('total_uncompressed_bytes');
    this.compressedBytes = s.counter('total_compressed_bytes');
    this.contentLengthTooSmall = s.counter('content_length_too_small');
  }
}

/** Response-only stats: how Accept-Encoding and ETags decided. Envoy roots these in the legacy tree (no `response.`). */
export class ResponseHeaderStats {
  readonly noAcceptHeader: Counter;
  readonly notCompressedEtag: Counter;
  private readonly identity: Counter;
  private readonly used: Counter;
  private readonly overshadowed: Counter;
  private readonly wildcard: Counter;
  private readonly notValid: Counter;

  constructor(s: StatsScope) {
    this.noAcceptHeader = s.counter('no_accept_header');
    this.identity = s.counter('header_identity');
    this.used = s.counter('header_compressor_used');
    this.overshadowed = s.counter('header_compressor_overshadowed');
    this.wildcard = s.counter('header_wildcard');
    this.notValid = s.counter('header_not_valid');
    this.notCompressedEtag = s.counter('not_compressed_etag');
  }

  /** Counts one decision from this compressor's point of view (`mine`: it is the one compressing). */
  count(stat: HeaderStat, mine: boolean): void {
    if (stat === 'valid') (mine ? this.used : this.overshadowed).inc();
    else if (stat === 'identity') this.identity.inc();
    else if (stat === 'wildcard') this.wildcard.inc();
    else this.notValid.inc();
  }
}

export interface CompressorStats {
  readonly request: DirectionStats;
  readonly response: DirectionStats;
  readonly headers: ResponseHeaderStats;
}

export function compressorStats(root: StatsScope, config: CompressorConfig): CompressorStats {
  const lib = config.compressor_library;
  const s = root.scope('compressor', lib.name, lib.stat_prefix);
  return {
    request: new DirectionStats(s.scope('request')),
    response: new DirectionStats(config.response_direction_set ? s.scope('response') : s),
    headers: new ResponseHeaderStats(s),
  };
}
