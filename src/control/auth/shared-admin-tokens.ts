// Control-plane auth: every replica's admin token accepted by all — each replica registers the SHA-256 of its token
// (never the token) under `auth/admin/<hex>` in the shared secrets, and keeps the set in memory from list + watch.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { SecretStore } from '../cluster/secret-store.js';
import type { AdminTokenSet } from './credential.js';
import { isStoreError } from '../store/errors.js';

export const ADMIN_HASH_PREFIX = 'auth/admin/';

/** A registered hash and where its token lives: a data dir's next token (its file deleted, the replica restarted) revokes it. */
interface Registration {
  sha256: string;
  host: string;
  dataDir?: string;
}

function digestOf(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

/** The registration stored under `name`, or undefined when it is not one (its hash must be its name). */
function registrationOf(name: string, value: Buffer): Registration | undefined {
  try {
    const r = JSON.parse(value.toString('utf8')) as Partial<Registration>;
    if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256) || name !== `${ADMIN_HASH_PREFIX}${r.sha256}` || typeof r.host !== 'string') return undefined;
    return { sha256: r.sha256, host: r.host, ...(typeof r.dataDir === 'string' ? { dataDir: r.dataDir } : {}) };
  } catch {
    return undefined;
  }
}

export class SharedAdminTokens implements AdminTokenSet {
  /** secret name → the token's digest, for every registration that opened and checked out. */
  private readonly registered = new Map<string, Buffer>();
  private cancelWatch: () => void = () => {};
  /** Watch events handled one at a time, in order: a later state of a name is never overtaken by an earlier one. */
  private queue: Promise<void> = Promise.resolve();
  /** Names whose re-read waits for a retry. */
  private readonly retrying = new Set<string>();
  private closed = false;

  private constructor(
    private readonly secrets: SecretStore,
    private readonly own: Registration,
    private readonly ownDigest: Buffer,
    private readonly log: (msg: string) => void,
  ) {}

  /** Registers `token` (this replica's, from `<data-dir>/admin-token`) and loads every replica's registration. */
  static async open(token: string, dataDir: string | undefined, secrets: SecretStore, log: (msg: string) => void): Promise<SharedAdminTokens> {
    const digest = digestOf(token);
    const own: Registration = { sha256: digest.toString('hex'), host: os.hostname(), ...(dataDir !== undefined ? { dataDir: path.resolve(dataDir) } : {}) };
    const set = new SharedAdminTokens(secrets, own, digest, log);
    try {
      await set.start();
    } catch (e) {
      set.close();
      throw e;
    }
    return set;
  }

  /** Whether `token` is any registered replica's; compares its digest with every registered one, with no early exit. */
  accepts(token: string): boolean {
    const d = digestOf(token);
    let ok = crypto.timingSafeEqual(d, this.ownDigest);
    for (const h of this.registered.values()) ok = crypto.timingSafeEqual(d, h) || ok;
    return ok;
  }

  /** How many tokens are accepted (this replica's included). */
  size(): number {
    return new Set([this.own.sha256, ...[...this.registered.values()].map((h) => h.toString('hex'))]).size;
  }

  close(): void {
    this.closed = true;
    this.cancelWatch();
  }

  private get ownName(): string {
    return `${ADMIN_HASH_PREFIX}${this.own.sha256}`;
  }

  private async start(): Promise<void> {
    // watch before listing: a registration landing between the two is not missed
    this.cancelWatch = this.secrets.watch(ADMIN_HASH_PREFIX, (name) => this.enqueue(name));
    // a registration that does not open fails the start, naming it: the store holds something the key did not seal
    for (const { name, value } of await this.secrets.list(ADMIN_HASH_PREFIX)) {
      const r = registrationOf(name, value);
      if (r === undefined) {
        this.log(`control: ${name} is not an admin token registration; not accepted`);
        continue;
      }
      if (this.sameDataDir(r) && r.sha256 !== this.own.sha256) {
        await this.secrets.delete(name);
        this.log(`control: the admin token ${this.own.dataDir ?? ''} had before is no longer accepted by any replica`);
        continue;
      }
      this.registered.set(name, Buffer.from(r.sha256, 'hex'));
    }
    await this.register();
  }

  private sameDataDir(r: Registration): boolean {
    return this.own.dataDir !== undefined && r.dataDir === this.own.dataDir && r.host === this.own.host;
  }

  private async register(): Promise<void> {
    await this.secrets.put(this.ownName, Buffer.from(JSON.stringify(this.own)));
    this.registered.set(this.ownName, this.ownDigest);
  }

  private enqueue(name: string, attempt = 0): void {
    this.queue = this.queue.then(() => this.refresh(name, attempt)).catch((e: unknown) => this.log(`control: admin token registrations: ${e instanceof Error ? e.message : String(e)}`));
  }

  private async refresh(name: string, attempt: number): Promise<void> {
    if (this.closed) return;
    let value: Buffer | undefined;
    try {
      value = await this.secrets.get(name);
    } catch (e) {
      // the store did not answer (a replica just back from a partition): the set stays as it was until it does; an
      // error that is not the store's (a value that does not open) is an answer, and that token is not accepted
      if (isStoreError(e, 'UNAVAILABLE')) {
        if (attempt === 0) this.log(`control: re-reading admin token registration ${name} failed (${e.message}); retrying`);
        // one retry per name however many events asked for it meanwhile (a relisting reports every name again)
        if (this.retrying.has(name)) return;
        this.retrying.add(name);
        setTimeout(() => {
          this.retrying.delete(name);
          this.enqueue(name, attempt + 1);
        }, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5))).unref();
        return;
      }
      this.registered.delete(name);
      this.log(`control: ${e instanceof Error ? e.message : String(e)}; that admin token is not accepted`);
      return;
    }
    if (value === undefined) {
      this.registered.delete(name);
      // removed by a replica with the same host name and data dir path that started with another token: it was not
      // this one's to revoke while this replica runs, so it comes back
      if (name === this.ownName && !this.closed) {
        await this.register();
        this.log('control: this replica\'s admin token registration was removed by another replica (same host name and data dir?); registered it again');
      }
      return;
    }
    const r = registrationOf(name, value);
    if (r === undefined) this.registered.delete(name);
    else this.registered.set(name, Buffer.from(r.sha256, 'hex'));
  }
}
