// xDS client: a file source (lds_config / cds_config path or path_config_source) — a DiscoveryResponse in YAML or JSON,
// re-read when it is moved into place (or when something is moved into watched_directory), answered like a server would.
import fs from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import type { Json } from '../../xds/codec.js';
import type { AdsTransport, TransportHandlers, WatchRequest, XdsUpdate } from './ads-protocol.js';
import type { ResourceEntry } from './resources.js';

export interface FileSourceOptions {
  typeUrl: string;
  path: string;
  /** Envoy's watched_directory: a move into it reloads `path` (Kubernetes ConfigMaps swap a `..data` link there). */
  watchedDirectory?: string;
  /** Poll period when fs.watch cannot watch the directory. */
  pollMs?: number;
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The DiscoveryResponse fields a file may hold (Envoy reads the same message from a file as from a stream). */
const RESPONSE_FIELDS = new Set(['version_info', 'versionInfo', 'resources', 'type_url', 'typeUrl', 'nonce', 'canary', 'control_plane', 'controlPlane']);

/**
 * Parses a file's text as a DiscoveryResponse of `typeUrl`: its resources as proto-JSON entries. Throws with a
 * reason when the text is not one (then nothing of it is applied).
 */
export function parseDiscoveryFile(text: string, typeUrl: string, source: string): XdsUpdate {
  let doc: unknown;
  try {
    doc = loadYaml(text, { filename: source });
  } catch (e) {
    throw new Error(`${source}: not YAML or JSON: ${(e as Error).message}`);
  }
  if (!isObj(doc)) throw new Error(`${source}: expected a DiscoveryResponse object with "resources"`);
  const unknown = Object.keys(doc).filter((k) => !RESPONSE_FIELDS.has(k));
  if (unknown.length > 0) throw new Error(`${source}: unknown DiscoveryResponse field "${unknown[0]}"`);
  const declared = doc.type_url ?? doc.typeUrl;
  if (declared !== undefined && declared !== '' && declared !== typeUrl) throw new Error(`${source}: type_url ${String(declared)} where ${typeUrl} is expected`);
  const version = doc.version_info ?? doc.versionInfo ?? '';
  if (typeof version !== 'string' && typeof version !== 'number') throw new Error(`${source}: version_info must be a string`);
  const list = doc.resources ?? [];
  if (!Array.isArray(list)) throw new Error(`${source}: resources must be a list`);
  const resources: ResourceEntry[] = list.map((r, i) => {
    if (!isObj(r)) throw new Error(`${source}: resources[${i}] is not an object`);
    return { json: r };
  });
  return { typeUrl, nonce: '', version: String(version), resources, removed: [], full: true };
}

/**
 * Acts as the server of one type: a subscription is answered with the file as it is now, and every move into place
 * sends it again. A file that cannot be read or parsed is reported and changes nothing (the last good config stays).
 */
export class FileSource implements AdsTransport {
  readonly api = 'sotw' as const;
  private open = false;
  private closed = false;
  private subscribed = false;
  private watcher: fs.FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private stamp = '';
  private pending = false;
  /** The text last read: Node reports creations as 'rename' too, so a burst may re-read an unchanged file. */
  private lastText: string | undefined;
  private readonly file: string;
  private readonly dir: string;

  constructor(
    private readonly opts: FileSourceOptions,
    private readonly h: TransportHandlers,
  ) {
    this.file = path.resolve(opts.path);
    this.dir = path.resolve(opts.watchedDirectory ?? path.dirname(this.file));
  }

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    this.stamp = this.fileStamp();
    this.watch();
    setImmediate(() => {
      if (this.closed) return;
      this.open = true;
      this.h.onOpen();
    });
  }

  close(): void {
    this.closed = true;
    this.open = false;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poller !== undefined) clearInterval(this.poller);
  }

  /** A subscription is answered with the file's content; ACKs and NACKs go nowhere (the file cannot be told). */
  send(r: WatchRequest): boolean {
    if (!this.open) return false;
    const first = !r.watch.subscribed;
    r.watch.subscribed = true;
    r.watch.sent = new Set(r.watch.names);
    if (first && !r.ack && r.errorDetail === undefined) {
      this.subscribed = true;
      this.lastText = undefined; // a new subscription is always answered
      this.deliverSoon();
    }
    return true;
  }

  private watch(): void {
    const name = path.basename(this.file);
    const dirWatched = this.opts.watchedDirectory !== undefined;
    try {
      // Envoy reacts to moves (atomic replacement), not edits in place; 'rename' is Node's word for them
      const w = fs.watch(this.dir, { persistent: false }, (event, file) => {
        if (event !== 'rename') return;
        if (dirWatched || file === null || file.toString() === name) this.changed();
      });
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = undefined;
        this.poll();
      });
      this.watcher = w;
    } catch {
      this.poll();
    }
  }

  /** Without change events: a new inode or size or mtime of the file counts as a move. */
  private poll(): void {
    if (this.poller !== undefined || this.closed) return;
    this.poller = setInterval(() => {
      if (this.fileStamp() !== this.stamp) this.changed();
    }, this.opts.pollMs ?? 1000);
    this.poller.unref();
  }

  private fileStamp(): string {
    try {
      const s = fs.statSync(this.file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return '';
    }
  }

  private changed(): void {
    this.stamp = this.fileStamp();
    if (this.subscribed) this.deliverSoon();
  }

  /** One read per burst of events. */
  private deliverSoon(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (this.closed || !this.open) return;
      let update: XdsUpdate;
      try {
        const text = fs.readFileSync(this.file, 'utf8');
        if (text === this.lastText) return;
        this.lastText = text;
        update = parseDiscoveryFile(text, this.opts.typeUrl, this.file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== undefined) this.lastText = undefined;
        const err = e as NodeJS.ErrnoException;
        this.h.onUnreadable?.(this.opts.typeUrl, err.code !== undefined ? `${this.file}: cannot read: ${err.code}` : err.message);
        return;
      }
      this.h.onUpdate(update);
    });
  }
}
