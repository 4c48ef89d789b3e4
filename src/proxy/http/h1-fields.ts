// HTTP/1.1 codec stage: collects the header or trailer fields (and request target) that llhttp hands over in pieces, within count and size limits.
// Node's llhttp binding passes a head to onHeadersComplete in one piece only while it has at most 32 fields;
// beyond that (and on every later message of the same parser) it flushes fields and URL pieces through kOnHeaders.

/** Fields of one head or trailer section; stops storing once a limit is passed (`overflow`). */
export class FieldCollector {
  /** [name, value, name, value, …] as received. */
  fields: string[] = [];
  /** The request target, concatenated from its pieces (heads only). */
  url = '';
  /** Bytes of target, names and values so far (what Envoy's max_request_headers_kb bounds). */
  bytes = 0;
  /** True once the count or size limit was passed; nothing more is stored. */
  overflow = false;

  constructor(
    private readonly maxFields: number,
    private readonly maxBytes: number,
  ) {}

  addUrl(piece: unknown): void {
    if (typeof piece !== 'string' || piece.length === 0 || this.overflow) return;
    this.bytes += piece.length;
    if (this.bytes > this.maxBytes) this.markOverflow();
    else this.url += piece;
  }

  add(raw: unknown): void {
    if (!Array.isArray(raw) || this.overflow) return;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name: unknown = raw[i];
      const value: unknown = raw[i + 1];
      if (typeof name !== 'string' || typeof value !== 'string') continue;
      this.bytes += name.length + value.length;
      if (this.fields.length >= 2 * this.maxFields || this.bytes > this.maxBytes) {
        this.markOverflow();
        return;
      }
      this.fields.push(name, value);
    }
  }

  get count(): number {
    return this.fields.length >> 1;
  }

  reset(): void {
    if (this.fields.length > 0) this.fields = [];
    this.url = '';
    this.bytes = 0;
    this.overflow = false;
  }

  private markOverflow(): void {
    this.overflow = true;
    this.fields = [];
    this.url = '';
  }
}
