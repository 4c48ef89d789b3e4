// HTTP filters: envoy.filters.http.buffer — holds the whole request body before passing the request on (413 past
// max_request_bytes) and gives a request that had no content-length one, as Envoy does.
import type { HttpFilterConfig } from '../../../config/types.js';
import type { HeaderMap } from '../../../router/types.js';
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, TrailersStatus } from '../../filter/api.js';
import { BUFFER_PER_ROUTE_TYPE, type BufferConfig, type BufferPerRoute } from './config.js';

/** The route's limit, or undefined when the route disables the filter. */
export function effectiveMaxBytes(base: BufferConfig, route: HttpFilterConfig | undefined): number | undefined {
  if (route === undefined || route['@type'] !== BUFFER_PER_ROUTE_TYPE) return base.max_request_bytes;
  const o = (route as BufferPerRoute).override;
  return o.kind === 'disabled' ? undefined : o.max_request_bytes;
}

export function bufferFilterFactory(config: BufferConfig): HttpFilterFactory {
  return (cb) => new BufferFilter(config, cb);
}

class BufferFilter implements HttpFilter {
  /** Set while buffering: the request headers that get a content-length at the end. */
  private headers: HeaderMap | undefined;
  private length = 0;

  constructor(
    private readonly config: BufferConfig,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(req: RequestHead, endStream: boolean): HeadersStatus {
    if (endStream) return 'continue'; // nothing to buffer
    const max = effectiveMaxBytes(this.config, this.cb.perRouteConfig<HttpFilterConfig>());
    if (max === undefined) return 'continue';
    this.cb.setDecoderBufferLimit(max);
    this.headers = req.headers;
    return 'stop';
  }

  decodeData(data: Buffer, endStream: boolean): DataStatus {
    if (this.headers === undefined) return 'continue';
    this.length += data.length;
    if (!endStream) return 'stop-buffer'; // the stream answers 413 once more than the limit is held
    this.addContentLength();
    return 'continue';
  }

  decodeTrailers(): TrailersStatus {
    this.addContentLength();
    return 'continue';
  }

  private addContentLength(): void {
    const h = this.headers;
    if (h !== undefined && h['content-length'] === undefined) h['content-length'] = String(this.length);
  }
}
