// Telemetry: access-log sinks (file, stdout, stderr) that buffer lines and write them off the request path.
import { closeSync, openSync, write } from 'node:fs';

export interface LogSink {
  write(line: string): void;
  /** Writes everything buffered so far; resolves when it reached the OS. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Envoy flushes file logs every second; a shorter delay keeps `tail -f` and tests snappy. */
export const FLUSH_DELAY_MS = 100;
/** Flush early when this much is buffered, so a burst does not grow memory unbounded. */
const FLUSH_BYTES = 64 * 1024;

/** Batches lines; one write in flight at a time keeps lines in order. */
class BufferedSink implements LogSink {
  private buf: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly out: (chunk: string) => Promise<void>,
    private readonly onClose: () => void = () => {},
  ) {}

  write(line: string): void {
    if (this.closed) return;
    this.buf.push(line);
    this.bytes += line.length;
    if (this.bytes >= FLUSH_BYTES) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref(); // a pending log line must not keep the process alive
    }
  }

  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buf.length === 0) return this.inFlight;
    const chunk = this.buf.join('');
    this.buf = [];
    this.bytes = 0;
    this.inFlight = this.inFlight.then(() => this.out(chunk)).catch((err: unknown) => {
      process.emitWarning(`access log write failed: ${String(err)}`);
    });
    return this.inFlight;
  }

  async close(): Promise<void> {
    if (this.closed) return this.inFlight;
    await this.flush();
    this.closed = true;
    this.onClose();
  }
}

/** Appends to `path` (opened once at config time, O_APPEND so several writers interleave whole chunks). */
export function fileSink(path: string): LogSink {
  const fd = openSync(path, 'a');
  const out = (chunk: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const data = Buffer.from(chunk);
      const step = (off: number): void => {
        write(fd, data, off, data.length - off, null, (err, n) => {
          if (err) reject(err);
          else if (off + n < data.length) step(off + n);
          else resolve();
        });
      };
      step(0);
    });
  return new BufferedSink(out, () => closeSync(fd));
}

function streamSink(stream: NodeJS.WriteStream): LogSink {
  return new BufferedSink((chunk) => new Promise((resolve) => stream.write(chunk, () => resolve())));
}

export function stdoutSink(): LogSink {
  return streamSink(process.stdout);
}

export function stderrSink(): LogSink {
  return streamSink(process.stderr);
}
