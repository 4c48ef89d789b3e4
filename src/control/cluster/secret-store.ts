// Control-plane cluster: the secrets every replica must share (CA key, token signing key, admin token hashes), as a store
// offers them. etcd keeps them under `<prefix>secret/`; callers seal them (sealed-secrets.ts) before they leave the process.

export interface SecretStore {
  /** The bytes stored under `name`, or undefined. */
  get(name: string): Promise<Buffer | undefined>;
  /** Stores `value` unless `name` exists; returns what is stored afterwards (the first writer wins, the rest read it). */
  createIfAbsent(name: string, value: Buffer): Promise<Buffer>;
  /** Replaces the value under `name` (or creates it). */
  put(name: string, value: Buffer): Promise<void>;
  /** Removes `name` (nothing when absent): a finished root rotation's `ca/next`, a revoked admin token's hash. */
  delete(name: string): Promise<void>;
  /** Every secret whose name starts with `prefix`, sorted by name. */
  list(prefix: string): Promise<Array<{ name: string; value: Buffer }>>;
  /** Calls `onChange` after any secret under `prefix` is put or deleted (by any replica); returns the cancel function. */
  watch(prefix: string, onChange: (name: string) => void): () => void;
}
