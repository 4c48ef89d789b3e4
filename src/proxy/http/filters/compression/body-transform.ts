// HTTP filters (compression): a body passing through zlib for one direction — feeding, end by data or trailers, backpressure.
import { ZlibPump } from './zlib-pump.js';
import type { ZlibStream } from './zlib-streams.js';

/** What the filter does with the transform's results, in its own direction. */
export interface TransformIo {
  /** Output to pass to the next filters (never the end of stream). */
  output(chunk: Buffer): void;
  /** Every output was passed on; `byTrailers`: the body ended with trailers, which the filter holds. */
  finished(byTrailers: boolean): void;
  failed(err: Error): void;
  /** Stop / restart the producer of this body (the downstream for requests, the upstream for responses). */
  pauseProducer(): void;
  resumeProducer(): void;
}

/**
 * zlib is asynchronous, so the filter takes each chunk ('stop'), feeds it here and passes output on as it comes.
 * The end (last data or trailers) goes in last, so the end of stream follows zlib's final output.
 */
export class BodyTransform {
  private readonly pump: ZlibPump;
  private producerPaused = false;
  private ended = false;
  private byTrailers = false;

  constructor(z: ZlibStream, flushKind: number | undefined, private readonly io: TransformIo) {
    this.pump = new ZlibPump(z, flushKind, {
      output: (c) => io.output(c),
      finished: () => {
        this.unpause();
        io.finished(this.byTrailers);
      },
      failed: (e) => {
        this.unpause();
        io.failed(e);
      },
      drained: () => this.unpause(),
    });
  }

  data(data: Buffer, end: boolean): void {
    if (this.ended) return;
    if (end) {
      this.ended = true;
      this.pump.end(data);
      return;
    }
    if (!this.pump.write(data) && !this.producerPaused) {
      this.producerPaused = true;
      this.io.pauseProducer();
    }
  }

  /** Trailers ended the body: zlib finishes, then finished(true) lets the filter release them. */
  trailers(): void {
    if (this.ended) return;
    this.ended = true;
    this.byTrailers = true;
    this.pump.end();
  }

  /** The stream is over: zlib stops; the producer is left as it is (it is going away too). */
  destroy(): void {
    this.pump.destroy();
  }

  private unpause(): void {
    if (!this.producerPaused) return;
    this.producerPaused = false;
    this.io.resumeProducer();
  }
}
