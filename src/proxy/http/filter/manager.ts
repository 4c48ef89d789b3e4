// HTTP filters: the filter manager — runs decoder filters in order and encoder filters in reverse, with
// stop/continue, bounded buffering and injected data, as Envoy's FilterManager iterates its chain.
import type { CompiledRoute, HeaderMap } from '../../router/types.js';
import type { ActiveStream } from '../active-stream.js';
import { routeConfigOf } from './route-config.js';
import type { DataStatus, FilterCallbacks, HttpFilter, LocalReplyOptions, RequestHead, ResponseHead, WatermarkCallbacks } from './api.js';

const EMPTY = Buffer.alloc(0);

/** Data held at one filter in one direction; `null` chunks = nothing held. */
class Held {
  chunks: Buffer[] | null = null;
  bytes = 0;
  add(data: Buffer): void {
    (this.chunks ??= []).push(data);
    this.bytes += data.length;
  }
  take(): Buffer | null {
    const c = this.chunks;
    this.chunks = null;
    this.bytes = 0;
    if (c === null) return null;
    return c.length === 1 ? c[0] : Buffer.concat(c);
  }
  peek(): Buffer | undefined {
    const c = this.chunks;
    if (c === null) return undefined;
    if (c.length > 1) this.chunks = [Buffer.concat(c)];
    return this.chunks![0] ?? EMPTY;
  }
  set(data: Buffer): void {
    this.chunks = [data];
    this.bytes = data.length;
  }
}

/** One filter's place in one request's chain: its iteration state in both directions, and its callbacks. */
export class FilterSlot implements FilterCallbacks {
  // decoding
  decStopped = false;
  decHeadersDone = false;
  decEnded = false;
  decTrailers: HeaderMap | undefined;
  readonly decHeld = new Held();
  // encoding
  encStopped = false;
  encHeadersDone = false;
  encEnded = false;
  encHead: ResponseHead | undefined;
  encTrailers: HeaderMap | undefined;
  readonly encHeld = new Held();
  /** Inside one of this filter's callbacks: a continue now is deferred until it returns. */
  inCall = false;
  filter!: HttpFilter;

  constructor(
    private readonly fm: FilterManager,
    readonly index: number,
    readonly filterName: string,
  ) {}

  get stream(): ActiveStream {
    return this.fm as unknown as ActiveStream;
  }
  get bufferLimit(): number {
    return this.fm.bufferLimit;
  }
  setDecoderBufferLimit(bytes: number): void {
    this.fm.decoderBufferLimit = bytes;
  }
  route(): CompiledRoute | null {
    return this.fm.route;
  }
  clearRouteCache(): void {
    this.fm.rematchRoute();
  }
  perRouteConfig<T>(): T | undefined {
    const c = this.fm.route?.perFilterConfig.get(this.filterName);
    return (c === undefined ? undefined : routeConfigOf(c)) as T | undefined;
  }
  continueDecoding(): void {
    if (this.inCall) queueMicrotask(() => this.fm.resumeDecoding(this));
    else this.fm.resumeDecoding(this);
  }
  continueEncoding(): void {
    if (this.inCall) queueMicrotask(() => this.fm.resumeEncoding(this));
    else this.fm.resumeEncoding(this);
  }
  sendLocalReply(status: number, body: string, opts?: LocalReplyOptions): void {
    this.fm.localReplyFrom(this.index - 1, status, body, opts);
  }
  decodingBuffer(): Buffer | undefined {
    return this.decHeld.peek();
  }
  setDecodingBuffer(data: Buffer): void {
    this.decHeld.set(data);
  }
  encodingBuffer(): Buffer | undefined {
    return this.encHeld.peek();
  }
  setEncodingBuffer(data: Buffer): void {
    this.encHeld.set(data);
  }
  injectDecodedData(data: Buffer, endStream: boolean): void {
    this.fm.decodeDataFrom(this.index + 1, data, endStream);
  }
  injectEncodedData(data: Buffer, endStream: boolean): void {
    this.fm.encodeDataFrom(this.index - 1, data, endStream);
  }
  addDecodedTrailers(): HeaderMap {
    return (this.decTrailers ??= {});
  }
  addEncodedTrailers(): HeaderMap {
    return (this.encTrailers ??= {});
  }
  encodeHeaders(response: ResponseHead, endStream: boolean): void {
    this.fm.encodeHeadersFrom(this.index - 1, response, endStream);
  }
  encodeData(data: Buffer, endStream: boolean): void {
    this.fm.encodeDataFrom(this.index - 1, data, endStream);
  }
  encodeTrailers(trailers: HeaderMap): void {
    this.fm.encodeTrailersFrom(this.index - 1, trailers);
  }
  readDisable(disable: boolean): void {
    this.fm.readDisable(disable);
  }
  setWatermarkCallbacks(cb: WatermarkCallbacks): void {
    this.fm.watermark = cb;
  }
  resetStream(): void {
    this.fm.resetStream();
  }
  setDynamicMetadata(namespace: string, values: Record<string, unknown>): void {
    const md = (this.fm.dynamicMetadata ??= {});
    md[namespace] = { ...md[namespace], ...values };
  }
}

/**
 * Iteration over a request's filters. The concrete stream supplies the request, the route, the buffer limit,
 * local replies and the downstream end of the encoder chain.
 */
export abstract class FilterManager {
  slots: FilterSlot[] = [];
  /** Nothing more is decoded: the response went out (or is going out) locally, or the stream ended. */
  decodingStopped = false;
  /** Nothing more is encoded: the response completed or the stream was reset. */
  encodingStopped = false;
  watermark: WatermarkCallbacks | undefined;
  dynamicMetadata: Record<string, Record<string, unknown>> | undefined;
  /** A filter's setDecoderBufferLimit; undefined = the connection manager's bufferLimit. */
  decoderBufferLimit: number | undefined;
  private readDisables = 0;
  /** Read disabled by the manager itself because a stopped filter's held data passed the limit. */
  private heldPaused = false;

  abstract readonly request: RequestHead;
  abstract readonly route: CompiledRoute | null;
  abstract readonly bufferLimit: number;
  abstract rematchRoute(): void;
  abstract resetStream(): void;
  /** A local reply produced at encoder position `from` (it passes the encoder filters from there down to 0). */
  abstract localReplyFrom(from: number, status: number, body: string, opts?: LocalReplyOptions): void;
  protected abstract pauseBody(): void;
  protected abstract resumeBody(): void;
  /** The downstream end of the encoder chain. */
  protected abstract writeHeaders(response: ResponseHead, endStream: boolean): void;
  protected abstract writeData(data: Buffer, endStream: boolean): void;
  protected abstract writeTrailers(trailers: HeaderMap): void;

  readDisable(disable: boolean): void {
    if (disable) {
      if (this.readDisables++ === 0) this.pauseBody();
    } else if (this.readDisables > 0 && --this.readDisables === 0) this.resumeBody();
  }

  // ---------------------------------------------------------------- decoding (filters 0 → n-1)
  decodeHeadersFrom(i: number, endStream: boolean): void {
    const slots = this.slots;
    for (; i < slots.length; i++) {
      const s = slots[i];
      if (endStream) s.decEnded = true;
      const f = s.filter;
      if (f.decodeHeaders !== undefined) {
        s.inCall = true;
        const st = f.decodeHeaders(this.request, endStream);
        s.inCall = false;
        if (this.decodingStopped) return;
        if (st === 'stop') {
          s.decStopped = true;
          return;
        }
      }
      s.decHeadersDone = true;
    }
  }

  decodeDataFrom(i: number, data: Buffer, endStream: boolean): void {
    const slots = this.slots;
    for (; i < slots.length; i++) {
      if (this.decodingStopped) return;
      const s = slots[i];
      if (endStream) s.decEnded = true;
      const f = s.filter;
      let st: DataStatus;
      if (f.decodeData !== undefined) {
        s.inCall = true;
        st = f.decodeData(data, endStream);
        s.inCall = false;
        if (this.decodingStopped) return;
      } else st = s.decStopped ? 'stop-buffer' : 'continue';
      if (st === 'continue') {
        if (s.decStopped) {
          s.decHeld.add(data);
          this.resumeDecoding(s);
          return;
        }
        if (endStream && s.decTrailers !== undefined) {
          // addDecodedTrailers() at the end of the body: the end of stream moves to the new trailers.
          const t = s.decTrailers;
          s.decTrailers = undefined;
          this.decodeDataFrom(i + 1, data, false);
          this.decodeTrailersFrom(i + 1, t);
          return;
        }
        continue;
      }
      if (st === 'stop-buffer') {
        s.decStopped = true;
        s.decHeld.add(data);
        if (s.decHeld.bytes > (this.decoderBufferLimit ?? this.bufferLimit)) {
          if (f.decodeData !== undefined) this.localReplyFrom(i - 1, 413, 'Payload Too Large');
          else if (!this.heldPaused) {
            // Held only because the filter has not continued yet: stop reading instead of failing.
            this.heldPaused = true;
            this.readDisable(true);
          }
        }
      }
      return; // 'stop': the filter took the data
    }
  }

  decodeTrailersFrom(i: number, trailers: HeaderMap): void {
    const slots = this.slots;
    for (; i < slots.length; i++) {
      if (this.decodingStopped) return;
      const s = slots[i];
      s.decEnded = true;
      const f = s.filter;
      let stop = s.decStopped;
      if (f.decodeTrailers !== undefined) {
        s.inCall = true;
        const st = f.decodeTrailers(trailers);
        s.inCall = false;
        if (this.decodingStopped) return;
        if (st === 'continue' && s.decStopped) {
          s.decTrailers = trailers;
          this.resumeDecoding(s);
          return;
        }
        stop = st === 'stop';
      }
      if (stop) {
        s.decStopped = true;
        s.decTrailers = trailers;
        return;
      }
    }
  }

  /** A filter that stopped decoding continues: headers (if held), then held data, then held trailers. */
  resumeDecoding(s: FilterSlot): void {
    if (!s.decStopped || this.decodingStopped) return;
    s.decStopped = false;
    if (this.heldPaused) {
      this.heldPaused = false;
      this.readDisable(false);
    }
    const held = s.decHeld.take();
    const trailers = s.decTrailers;
    s.decTrailers = undefined;
    const next = s.index + 1;
    if (!s.decHeadersDone) {
      s.decHeadersDone = true;
      this.decodeHeadersFrom(next, s.decEnded && held === null && trailers === undefined);
    }
    if (held !== null) this.decodeDataFrom(next, held, s.decEnded && trailers === undefined);
    if (trailers !== undefined) this.decodeTrailersFrom(next, trailers);
  }

  // ---------------------------------------------------------------- encoding (filters i → 0, then downstream)
  encodeHeadersFrom(i: number, response: ResponseHead, endStream: boolean): void {
    const slots = this.slots;
    for (; i >= 0; i--) {
      if (this.encodingStopped) return;
      const s = slots[i];
      if (endStream) s.encEnded = true;
      const f = s.filter;
      if (f.encodeHeaders !== undefined) {
        s.inCall = true;
        const st = f.encodeHeaders(response, endStream);
        s.inCall = false;
        if (st === 'stop') {
          s.encStopped = true;
          s.encHead = response;
          return;
        }
      }
      s.encHeadersDone = true;
    }
    if (!this.encodingStopped) this.writeHeaders(response, endStream);
  }

  encodeDataFrom(i: number, data: Buffer, endStream: boolean): void {
    const slots = this.slots;
    for (; i >= 0; i--) {
      if (this.encodingStopped) return;
      const s = slots[i];
      if (endStream) s.encEnded = true;
      const f = s.filter;
      let st: DataStatus;
      if (f.encodeData !== undefined) {
        s.inCall = true;
        st = f.encodeData(data, endStream);
        s.inCall = false;
      } else st = s.encStopped ? 'stop-buffer' : 'continue';
      if (st === 'continue') {
        if (s.encStopped) {
          s.encHeld.add(data);
          this.resumeEncoding(s);
          return;
        }
        if (endStream && s.encTrailers !== undefined) {
          // addEncodedTrailers() at the end of the body: the end of stream moves to the new trailers.
          const t = s.encTrailers;
          s.encTrailers = undefined;
          this.encodeDataFrom(i - 1, data, false);
          this.encodeTrailersFrom(i - 1, t);
          return;
        }
        continue;
      }
      if (st === 'stop-buffer') {
        s.encStopped = true;
        s.encHeld.add(data);
        if (s.encHeld.bytes > this.bufferLimit) this.encodeOverflow(i);
      }
      return;
    }
    if (!this.encodingStopped) this.writeData(data, endStream);
  }

  encodeTrailersFrom(i: number, trailers: HeaderMap): void {
    const slots = this.slots;
    for (; i >= 0; i--) {
      if (this.encodingStopped) return;
      const s = slots[i];
      s.encEnded = true;
      const f = s.filter;
      let stop = s.encStopped;
      if (f.encodeTrailers !== undefined) {
        s.inCall = true;
        const st = f.encodeTrailers(trailers);
        s.inCall = false;
        if (st === 'continue' && s.encStopped) {
          s.encTrailers = trailers;
          this.resumeEncoding(s);
          return;
        }
        stop = st === 'stop';
      }
      if (stop) {
        s.encStopped = true;
        s.encTrailers = trailers;
        return;
      }
    }
    if (!this.encodingStopped) this.writeTrailers(trailers);
  }

  resumeEncoding(s: FilterSlot): void {
    if (!s.encStopped || this.encodingStopped) return;
    s.encStopped = false;
    const held = s.encHeld.take();
    const trailers = s.encTrailers;
    s.encTrailers = undefined;
    const next = s.index - 1;
    if (!s.encHeadersDone) {
      s.encHeadersDone = true;
      const head = s.encHead!;
      s.encHead = undefined;
      this.encodeHeadersFrom(next, head, s.encEnded && held === null && trailers === undefined);
    }
    if (held !== null) this.encodeDataFrom(next, held, s.encEnded && trailers === undefined);
    if (trailers !== undefined) this.encodeTrailersFrom(next, trailers);
  }

  /** A response held for a filter outgrew the buffer limit: 500 if nothing went downstream yet, else reset. */
  protected abstract encodeOverflow(at: number): void;

  /** Calls every filter's onDestroy once. */
  protected destroyFilters(): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) slots[i].filter.onDestroy?.();
  }
}
