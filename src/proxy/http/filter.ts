// HTTP: the decoder filter interface; filters are built once per connection manager and run per request.
import type { ActiveStream } from './active-stream.js';

/** 'stop' = the filter replied locally or will call `stream.continueDecoding()` later. */
export type FilterStatus = 'continue' | 'stop';

export interface HttpFilter {
  readonly name: string;
  decodeHeaders(stream: ActiveStream): FilterStatus;
  /** The stream finished or was reset: release timers and counters the filter holds for it. */
  onDestroy?(stream: ActiveStream): void;
}
