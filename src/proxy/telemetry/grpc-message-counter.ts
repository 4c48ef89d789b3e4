// Telemetry: counts gRPC messages in a stream's body (1 flag byte + 4-byte big-endian length + payload each) for
// istio_request_messages_total / istio_response_messages_total. Constant memory: payloads are skipped, never buffered.
export class GrpcMessageCounter {
  /** Messages whose 5-byte prefix has been seen. */
  count = 0;
  /** Prefix bytes seen of the message being read (0 = between messages). */
  private prefix = 0;
  private length = 0;
  /** Payload bytes of the current message still to pass. */
  private skip = 0;

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        continue;
      }
      const b = chunk[i++]!;
      if (this.prefix > 0) this.length = this.length * 256 + b; // byte 0 is the compressed flag
      if (++this.prefix === 5) {
        this.count++;
        this.skip = this.length;
        this.prefix = 0;
        this.length = 0;
      }
    }
  }
}
