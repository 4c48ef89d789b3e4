// HTTP filters: envoy.filters.http.decompressor — inflates gzip/brotli request and response bodies, bounded against decompression bombs.
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { HeaderMap } from '../../../router/types.js';
import { joinedHeader } from '../../../router/header-value.js';
import { flagEnabled } from '../compression/feature-flag.js';
import { BodyTransform } from '../compression/body-transform.js';
import { createDecompressor } from '../compression/zlib-streams.js';
import { hasNoTransform } from '../compression/headers.js';
import type { DecompressorConfig, DecompressDirection } from './config.js';
import { addAcceptEncoding, firstCodingIs, withoutFirstCoding } from './codings.js';
import { decompressorStats, type DecompressDirectionStats, type DecompressFailure, type DecompressorStats } from './stats.js';

const EMPTY = Buffer.alloc(0);

class DecompressorShared {
  readonly stats: DecompressorStats;
  readonly encoding: string;
  /** Envoy's byte-count trailers: x-envoy-decompressor-<library name>-(un)compressed-bytes. */
  readonly compressedTrailer: string;
  readonly uncompressedTrailer: string;

  constructor(
    readonly config: DecompressorConfig,
    ctx: HttpFilterContext,
  ) {
    const lib = config.decompressor_library;
    this.stats = decompressorStats(ctx.stats, lib);
    this.encoding = lib.encoding;
    const prefix = `x-envoy-decompressor-${lib.name}`.toLowerCase();
    this.compressedTrailer = `${prefix}-compressed-bytes`;
    this.uncompressedTrailer = `${prefix}-uncompressed-bytes`;
  }
}

export function decompressorFilterFactory(config: DecompressorConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = new DecompressorShared(config, ctx);
  return (cb) => new DecompressorFilter(shared, cb);
}

/** One direction's decompression: the zlib transform, its byte counts and the trailers it will report them in. */
class Inflation {
  compressed = 0;
  uncompressed = 0;
  /** Trailers the body ended with (held by the filter until zlib is done). */
  trailers: HeaderMap | undefined;
  transform!: BodyTransform;
  failed = false;
}

class DecompressorFilter implements HttpFilter {
  private request: Inflation | undefined;
  private response: Inflation | undefined;

  constructor(
    private readonly shared: DecompressorShared,
    private readonly cb: FilterCallbacks,
  ) {}

  private enabled(d: DecompressDirection): boolean {
    return flagEnabled(d.enabled, this.cb.stream.cm?.ctx.runtime?.snapshot());
  }

  /** Envoy's maybeInitDecompress: counts the decision and, when decompressing, fixes the headers. */
  private shouldDecompress(d: DecompressDirection, headers: HeaderMap, stats: DecompressDirectionStats): boolean {
    const ce = joinedHeader(headers, 'content-encoding');
    const yes = this.enabled(d) && (d.ignore_no_transform_header || !hasNoTransform(headers)) && ce !== undefined && firstCodingIs(ce, this.shared.encoding);
    if (!yes) {
      stats.notDecompressed.inc();
      return false;
    }
    stats.decompressed.inc();
    delete headers['content-length'];
    const rest = withoutFirstCoding(ce);
    if (rest === undefined) delete headers['content-encoding'];
    else headers['content-encoding'] = rest;
    return true;
  }

  // ---------------------------------------------------------------- request
  decodeHeaders(req: RequestHead, endStream: boolean): HeadersStatus {
    const cfg = this.shared.config;
    if (this.enabled(cfg.response) && cfg.request.advertise_accept_encoding) {
      req.headers['accept-encoding'] = addAcceptEncoding(joinedHeader(req.headers, 'accept-encoding'), this.shared.encoding);
    }
    if (!endStream && this.shouldDecompress(cfg.request, req.headers, this.shared.stats.request)) this.request = this.inflation('decode');
    return 'continue';
  }

  decodeData(data: Buffer, endStream: boolean): DataStatus {
    const inf = this.request;
    if (inf === undefined) return 'continue';
    return this.feed(inf, this.shared.stats.request, data, endStream);
  }

  decodeTrailers(trailers: HeaderMap): TrailersStatus {
    const inf = this.request;
    if (inf === undefined) return 'continue';
    inf.trailers = trailers;
    inf.transform.trailers();
    return 'stop';
  }

  // ---------------------------------------------------------------- response
  encodeHeaders(res: ResponseHead, endStream: boolean): HeadersStatus {
    if (!endStream && this.shouldDecompress(this.shared.config.response, res.headers, this.shared.stats.response)) {
      this.response = this.inflation('encode');
      // the byte counts go out as trailers, so an HTTP/2 downstream must expect some
      res.wantTrailers = true;
    }
    return 'continue';
  }

  encodeData(data: Buffer, endStream: boolean): DataStatus {
    const inf = this.response;
    if (inf === undefined) return 'continue';
    return this.feed(inf, this.shared.stats.response, data, endStream);
  }

  encodeTrailers(trailers: HeaderMap): TrailersStatus {
    const inf = this.response;
    if (inf === undefined) return 'continue';
    inf.trailers = trailers;
    inf.transform.trailers();
    return 'stop';
  }

  onDestroy(): void {
    this.request?.transform.destroy();
    this.response?.transform.destroy();
  }

  /**
   * Takes compressed data. The last chunk is held ('stop-buffer') rather than taken, which keeps this filter stopped so
   * that, once zlib is done, the byte-count trailers can follow the output through continueDecoding/continueEncoding.
   */
  private feed(inf: Inflation, stats: DecompressDirectionStats, data: Buffer, endStream: boolean): DataStatus {
    if (inf.failed) return 'stop';
    inf.compressed += data.length;
    stats.compressedBytes.inc(data.length);
    inf.transform.data(data, endStream);
    return endStream ? 'stop-buffer' : 'stop';
  }

  private inflation(dir: 'decode' | 'encode'): Inflation {
    const cb = this.cb;
    const shared = this.shared;
    const decode = dir === 'decode';
    const stats = decode ? shared.stats.request : shared.stats.response;
    const ratio = shared.config.decompressor_library.max_inflate_ratio;
    const inf = new Inflation();
    inf.transform = new BodyTransform(createDecompressor(shared.config.decompressor_library), undefined, {
      output: (c) => {
        inf.uncompressed += c.length;
        stats.uncompressedBytes.inc(c.length);
        // Bounded output: at most max_inflate_ratio times the compressed bytes seen so far.
        if (inf.uncompressed > ratio * inf.compressed) {
          this.fail(inf, decode, 'bomb');
          return;
        }
        if (decode) cb.injectDecodedData(c, false);
        else cb.injectEncodedData(c, false);
      },
      finished: (byTrailers) => {
        let t = inf.trailers;
        if (!byTrailers) {
          // the last compressed chunk was held: nothing of it is left to send
          if (decode) cb.setDecodingBuffer(EMPTY);
          else cb.setEncodingBuffer(EMPTY);
          t = decode ? cb.addDecodedTrailers() : cb.addEncodedTrailers();
        }
        if (t !== undefined) {
          t[shared.compressedTrailer] = String(inf.compressed);
          t[shared.uncompressedTrailer] = String(inf.uncompressed);
        }
        if (decode) cb.continueDecoding();
        else cb.continueEncoding();
      },
      failed: (e) => this.fail(inf, decode, e),
      pauseProducer: () => {
        if (decode) cb.readDisable(true);
        else cb.stream.watermark?.onAboveWriteBufferHighWatermark();
      },
      resumeProducer: () => {
        if (decode) cb.readDisable(false);
        else cb.stream.watermark?.onBelowWriteBufferLowWatermark();
      },
    });
    return inf;
  }

  /**
   * A bomb or corrupt data. Envoy stops inflating and forwards what it has, which truncates the body silently;
   * trellis fails the exchange instead: 413 (bomb) or 400 for a request, a reset for a response already under way.
   */
  private fail(inf: Inflation, decode: boolean, why: DecompressFailure): void {
    if (inf.failed) return;
    inf.failed = true;
    inf.transform.destroy();
    this.shared.stats.library.count(why);
    if (!decode) {
      this.cb.resetStream();
      return;
    }
    if (why === 'bomb') this.cb.sendLocalReply(413, 'Payload Too Large', { details: 'request_decompression_ratio_exceeded' });
    else this.cb.sendLocalReply(400, 'Bad Request', { details: 'request_decompression_failed' });
  }
}
