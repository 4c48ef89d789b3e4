// Runtime: watches a disk layer's symlink_root for the atomic link swap that publishes a new runtime tree.
import fs from 'node:fs';
import path from 'node:path';

export interface SymlinkWatchOptions {
  /** Called (once per burst of events) when the link may point somewhere new. */
  onChange(): void;
  /** Poll period when fs.watch is unavailable (the parent directory is missing, or the platform cannot watch). */
  pollMs?: number;
  /** false: poll only (tests, filesystems without change events). */
  useFsWatch?: boolean;
}

function resolveTarget(link: string): string | undefined {
  try {
    return fs.realpathSync(link);
  } catch {
    return undefined;
  }
}

/**
 * Like Envoy, watches the directory holding the link and reacts to a rename onto the link's name
 * (`ln -s v2 new && mv -Tf new current`). Where that is not possible it polls the link's resolved target.
 */
export class SymlinkWatcher {
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private target: string | undefined;
  private pending = false;
  private closed = false;
  private readonly name: string;

  constructor(
    readonly link: string,
    private readonly opts: SymlinkWatchOptions,
  ) {
    this.name = path.basename(link);
    this.target = resolveTarget(link);
    if (opts.useFsWatch === false || !this.watch()) this.poll();
  }

  /** The link's target as last seen: a reload that happened for another reason moves it on too. */
  noteTarget(): void {
    this.target = resolveTarget(this.link);
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private watch(): boolean {
    try {
      const w = fs.watch(path.dirname(this.link), { persistent: false }, (_event, file) => {
        // some platforms omit the name: then any change in the directory counts
        if (file === null || file.toString() === this.name) this.fire();
      });
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = undefined;
        if (!this.closed) this.poll();
      });
      this.watcher = w;
      return true;
    } catch {
      return false;
    }
  }

  private poll(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => {
      const now = resolveTarget(this.link);
      if (now !== this.target) this.fire();
    }, this.opts.pollMs ?? 1000);
    this.timer.unref();
  }

  private fire(): void {
    if (this.pending || this.closed) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (this.closed) return;
      this.target = resolveTarget(this.link);
      this.opts.onChange();
    });
  }
}
