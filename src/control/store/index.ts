// Control plane / config store: the public surface — the interface, both implementations, keys and errors.
export type * from './types.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export { resourceKey, parseKey } from './keys.js';
export { createMemoryStore } from './memory-store.js';
export { openSqliteStore, DB_FILE, type SqliteStoreOptions } from './sqlite-store.js';
export type { StoreOptions } from './revisioned-store.js';
