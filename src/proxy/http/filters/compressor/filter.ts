// HTTP filters: envoy.filters.http.compressor — gzip/brotli response (and optionally request) bodies, with Envoy's rules for when not to.
import type { FilterCallbacks, DataStatus, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { HeaderMap } from '../../../router/types.js';
import type { RuntimeSnapshot } from '../../../runtime-config/snapshot.js';
import { firstHeader, joinedHeader } from '../../../router/header-value.js';
import { flagEnabled } from '../compression/feature-flag.js';
import { BodyTransform } from '../compression/body-transform.js';
import { createCompressor, flushKindOf } from '../compression/zlib-streams.js';
import { hasNoTransform, hasToken, isUpgradeRequest, mediaType, transferEncodingAllows } from '../compression/headers.js';
import { COMPRESSOR_PER_ROUTE_TYPE, type CompressorConfig, type CompressorPerRoute, type DirectionSettings } from './config.js';
import { chooseEncoding, type ChainCompressor } from './encoding-choice.js';
import { registerCompressor, type StreamCompressors } from './stream-registry.js';
import { compressorStats, type CompressorStats, type DirectionStats } from './stats.js';

const EMPTY = Buffer.alloc(0);

/** One filter in one chain: its config with the media-type sets compiled, and its stats. */
class CompressorShared {
  readonly stats: CompressorStats;
  readonly encoding: string;
  readonly flushKind: number;
  readonly requestTypes: ReadonlySet<string> | undefined;
  readonly responseTypes: ReadonlySet<string>;
  readonly uncompressibleCodes: ReadonlySet<number>;
  /** How this filter appears in each request's list of compressors. */
  readonly inChain: ChainCompressor;

  constructor(
    readonly config: CompressorConfig,
    ctx: HttpFilterContext,
  ) {
    this.stats = compressorStats(ctx.stats, config);
    this.encoding = config.compressor_library.encoding;
    this.flushKind = flushKindOf(config.compressor_library);
    this.requestTypes = config.request === undefined ? undefined : lowerSet(config.request.content_type);
    this.responseTypes = lowerSet(config.response.content_type);
    this.uncompressibleCodes = new Set(config.response.uncompressible_response_codes);
    this.inChain = { encoding: this.encoding, chooseFirst: config.choose_first, contentTypes: this.responseTypes };
  }
}

function lowerSet(list: readonly string[]): ReadonlySet<string> {
  return new Set(list.map((t) => t.toLowerCase()));
}

/** Envoy's isMinimumContentLength: no content-length counts as long enough (a streamed body). */
function longEnough(headers: HeaderMap, settings: DirectionSettings, stats: DirectionStats): boolean {
  const cl = firstHeader(headers, 'content-length');
  if (cl === undefined) return true;
  const ok = /^\d+$/.test(cl) && Number(cl) >= settings.min_content_length;
  if (!ok) stats.contentLengthTooSmall.inc();
  return ok;
}

function typeAllowed(headers: HeaderMap, types: ReadonlySet<string>): boolean {
  const t = mediaType(headers);
  return t === undefined || types.size === 0 || types.has(t.toLowerCase());
}

/** Adds Accept-Encoding to Vary unless it is listed already. */
function addVary(headers: HeaderMap): void {
  const vary = joinedHeader(headers, 'vary');
  if (vary === undefined) headers.vary = 'Accept-Encoding';
  else if (!hasToken(vary, 'accept-encoding')) headers.vary = `${vary}, Accept-Encoding`;
}

/** A strong ETag no longer names the bytes sent once they are compressed: dropped, or made weak when configured. Weak ones stay. */
function sanitizeEtag(headers: HeaderMap, weaken: boolean): void {
  const etag = firstHeader(headers, 'etag');
  if (etag === undefined || ((etag[0] === 'W' || etag[0] === 'w') && etag[1] === '/')) return;
  if (weaken) headers.etag = `W/${etag}`;
  else delete headers.etag;
}

export function compressorFilterFactory(config: CompressorConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = new CompressorShared(config, ctx);
  return (cb) => new CompressorFilter(shared, cb);
}

class CompressorFilter implements HttpFilter {
  private readonly streamCompressors: StreamCompressors;
  private acceptEncoding: string | undefined;
  private headOnly = false;
  private request: BodyTransform | undefined;
  private response: BodyTransform | undefined;

  constructor(
    private readonly shared: CompressorShared,
    private readonly cb: FilterCallbacks,
  ) {
    this.streamCompressors = registerCompressor(cb.stream, shared.inChain);
  }

  private runtime(): RuntimeSnapshot | undefined {
    return this.cb.stream.cm?.ctx.runtime?.snapshot();
  }

  private perRoute(): CompressorPerRoute | undefined {
    const c = this.cb.perRouteConfig<CompressorPerRoute>();
    return c?.['@type'] === COMPRESSOR_PER_ROUTE_TYPE ? c : undefined;
  }

  private responseEnabled(perRoute: CompressorPerRoute | undefined): boolean {
    return perRoute?.response_enabled ?? flagEnabled(this.shared.config.response.enabled, this.runtime());
  }

  // ---------------------------------------------------------------- request
  decodeHeaders(req: RequestHead, endStream: boolean): HeadersStatus {
    const h = req.headers;
    this.acceptEncoding = joinedHeader(h, 'accept-encoding');
    this.headOnly = req.method === 'HEAD';
    const cfg = this.shared.config;
    const perRoute = this.perRoute();
    if (this.responseEnabled(perRoute) && (perRoute?.remove_accept_encoding_header ?? cfg.response.remove_accept_encoding_header)) {
      delete h['accept-encoding'];
    }
    const rq = cfg.request;
    const stats = this.shared.stats.request;
    if (
      !endStream &&
      rq !== undefined &&
      flagEnabled(rq.enabled, this.runtime()) &&
      !isUpgradeRequest(h) &&
      longEnough(h, rq, stats) &&
      typeAllowed(h, this.shared.requestTypes!) &&
      h['content-encoding'] === undefined &&
      transferEncodingAllows(h, this.shared.encoding)
    ) {
      delete h['content-length'];
      h['content-encoding'] = this.shared.encoding;
      stats.compressed.inc();
      this.request = this.transform(stats, 'decode');
    } else stats.notCompressed.inc();
    return 'continue';
  }

  decodeData(data: Buffer, endStream: boolean): DataStatus {
    const t = this.request;
    if (t === undefined) return 'continue';
    this.shared.stats.request.uncompressedBytes.inc(data.length);
    t.data(data, endStream);
    return 'stop';
  }

  decodeTrailers(): TrailersStatus {
    const t = this.request;
    if (t === undefined) return 'continue';
    t.trailers();
    return 'stop';
  }

  // ---------------------------------------------------------------- response
  encodeHeaders(res: ResponseHead, endStream: boolean): HeadersStatus {
    const h = res.headers;
    const shared = this.shared;
    const cfg = shared.config.response;
    const stats = shared.stats.response;
    const enabledAndLongEnough = this.responseEnabled(this.perRoute()) && longEnough(h, cfg, stats);
    const compressible =
      enabledAndLongEnough &&
      res.status >= 200 && // 1xx and 101 upgrades carry no body to compress
      !shared.uncompressibleCodes.has(res.status) &&
      typeAllowed(h, shared.responseTypes) &&
      !hasNoTransform(h) &&
      this.etagAllowed(h) &&
      h['content-encoding'] === undefined;
    // 204, 304 and HEAD responses have no body even when the upstream does not end the stream with the headers.
    const bodyless = endStream || this.headOnly || res.status === 204 || res.status === 304;
    if (!bodyless && this.acceptEncodingAllows(enabledAndLongEnough, h) && compressible && transferEncodingAllows(h, shared.encoding)) {
      sanitizeEtag(h, cfg.weaken_etag_on_compress);
      delete h['content-length'];
      h['content-encoding'] = shared.encoding;
      stats.compressed.inc();
      this.response = this.transform(stats, 'encode');
    } else stats.notCompressed.inc();
    // Even uncompressed, a compressible response varies by Accept-Encoding for caches in front of us.
    if (compressible) addVary(h);
    return 'continue';
  }

  encodeData(data: Buffer, endStream: boolean): DataStatus {
    const t = this.response;
    if (t === undefined) return 'continue';
    this.shared.stats.response.uncompressedBytes.inc(data.length);
    t.data(data, endStream);
    return 'stop';
  }

  encodeTrailers(): TrailersStatus {
    const t = this.response;
    if (t === undefined) return 'continue';
    t.trailers();
    return 'stop';
  }

  onDestroy(): void {
    this.request?.destroy();
    this.response?.destroy();
  }

  private etagAllowed(h: HeaderMap): boolean {
    const cfg = this.shared.config.response;
    if (!cfg.disable_on_etag_header || cfg.weaken_etag_on_compress || h.etag === undefined) return true;
    this.shared.stats.headers.notCompressedEtag.inc();
    return false;
  }

  /** Envoy's isAcceptEncodingAllowed: the chain's one decision, counted by every compressor that gets this far. */
  private acceptEncodingAllows(maybeCompress: boolean, h: HeaderMap): boolean {
    if (!maybeCompress) return false;
    const headerStats = this.shared.stats.headers;
    const ae = this.acceptEncoding;
    if (ae === undefined) {
      headerStats.noAcceptHeader.inc();
      return false;
    }
    const sc = this.streamCompressors;
    const decision = (sc.decision ??= chooseEncoding(ae, mediaType(h), sc.chain));
    const mine = decision.encoding.toLowerCase() === this.shared.encoding;
    headerStats.count(decision.stat, mine);
    return mine;
  }

  /** A zlib compressor for one direction, passing its output to the next filters of that direction. */
  private transform(stats: DirectionStats, dir: 'decode' | 'encode'): BodyTransform {
    const cb = this.cb;
    const lib = this.shared.config.compressor_library;
    const decode = dir === 'decode';
    return new BodyTransform(createCompressor(lib), this.shared.flushKind, {
      output: (c) => {
        stats.compressedBytes.inc(c.length);
        if (decode) cb.injectDecodedData(c, false);
        else cb.injectEncodedData(c, false);
      },
      finished: (byTrailers) => {
        if (byTrailers) {
          if (decode) cb.continueDecoding();
          else cb.continueEncoding();
        } else if (decode) cb.injectDecodedData(EMPTY, true);
        else cb.injectEncodedData(EMPTY, true);
      },
      failed: () => cb.resetStream(),
      pauseProducer: () => {
        if (decode) cb.readDisable(true);
        else cb.stream.watermark?.onAboveWriteBufferHighWatermark();
      },
      resumeProducer: () => {
        if (decode) cb.readDisable(false);
        else cb.stream.watermark?.onBelowWriteBufferLowWatermark();
      },
    });
  }
}
