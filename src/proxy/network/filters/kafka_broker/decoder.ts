// Network filters: kafka_broker's decoder — Kafka's size-prefixed request and response frames; a request's api_key
// is remembered by correlation id so its response is counted (and timed) under the same API name.
import type { Counter, Histogram } from '../../../telemetry/stats.js';
import { Deframer, SniffError, type FrameFormat } from '../../sniff/deframer.js';
import type { ProtocolDecoder } from '../../sniff/sniffer-filter.js';

export interface KafkaApiMetrics {
  readonly request: Counter;
  readonly response: Counter;
  readonly responseDuration: Histogram;
}

export interface KafkaCounters {
  /** By api_key. */
  readonly apis: readonly KafkaApiMetrics[];
  readonly requestUnknown: Counter;
  readonly requestFailure: Counter;
  readonly responseUnknown: Counter;
  readonly responseFailure: Counter;
}

/** Requests awaiting a response per connection; past this the oldest is forgotten (acks=0 produce gets no response). */
export const MAX_PENDING = 1024;

function frame(minBytes: number, what: string): FrameFormat {
  return {
    headerBytes: 4,
    payloadBytes: (h) => {
      const size = h.readInt32BE(0);
      if (size < minBytes) throw new SniffError(`${what} of ${size} bytes`);
      return size;
    },
  };
}
/** Request header v0+: api_key Int16, api_version Int16, correlation_id Int32 (then client_id …). */
const REQUEST = frame(8, 'request');
/** Response header: correlation_id Int32. */
const RESPONSE = frame(4, 'response');

export class KafkaDecoder implements ProtocolDecoder {
  stopped = false;
  /** correlation id → [api_key, ms when the request was seen]; insertion order = age. */
  private readonly pending = new Map<number, readonly [number, number]>();
  private readonly requests = new Deframer(REQUEST, 8, (_h, p) => this.onRequest(p));
  private readonly responses = new Deframer(RESPONSE, 4, (_h, p) => this.onResponse(p));

  constructor(
    private readonly c: KafkaCounters,
    private readonly now: () => number = Date.now,
  ) {}

  fromClient(data: Buffer): void {
    this.requests.push(data);
  }

  fromServer(data: Buffer): void {
    this.responses.push(data);
  }

  private onRequest(p: Buffer): void {
    const apiKey = p.readInt16BE(0);
    const correlationId = p.readInt32BE(4);
    const m = this.c.apis[apiKey];
    if (m === undefined) {
      this.c.requestUnknown.inc();
      return;
    }
    m.request.inc();
    this.pending.delete(correlationId); // a reused id moves to the newest position
    this.pending.set(correlationId, [apiKey, this.now()]);
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
  }

  private onResponse(p: Buffer): void {
    const correlationId = p.readInt32BE(0);
    const req = this.pending.get(correlationId);
    if (req === undefined) {
      this.c.responseUnknown.inc();
      return;
    }
    this.pending.delete(correlationId);
    const m = this.c.apis[req[0]]!;
    m.response.inc();
    m.responseDuration.record(this.now() - req[1]);
  }

  /** For tests: how many requests await a response. */
  pendingCount(): number {
    return this.pending.size;
  }
}

