// Control-plane cluster: shared secrets sealed with AES-256-GCM before they reach the store (the key comes from
// --store-key-file); the secret's name is authenticated too, so a value cannot be moved to another name.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { SecretStore } from './secret-store.js';

/** What the store holds for each secret: JSON, binary fields base64. `v` lets a later format coexist with this one. */
interface Envelope {
  v: 1;
  alg: 'A256GCM';
  nonce: string;
  ct: string;
  tag: string;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
// pinned on decryption: Node would otherwise accept a tag cut down to 4 bytes, which is far easier to forge
const TAG_BYTES = 16;

export interface StoreKey {
  key: Buffer;
  /** Set when the file is readable by group or others: the caller logs it (the key is still used, as a mounted secret may be 0644). */
  warning?: string;
}

/**
 * The key of `--store-key-file`: 32 raw bytes, 64 hex characters, or base64 (or base64url) of 32 bytes, surrounding
 * white space ignored. Anything else throws, saying what was expected; the file's contents never appear in a message.
 */
export function readStoreKey(file: string): StoreKey {
  let raw: Buffer;
  let mode: number;
  try {
    raw = fs.readFileSync(file);
    mode = fs.statSync(file).mode;
  } catch (e) {
    throw new Error(`--store-key-file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const key = keyOf(raw, file);
  const warning =
    (mode & 0o077) !== 0
      ? `--store-key-file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): whoever reads it can open the mesh CA key kept in the store; chmod 600 it`
      : undefined;
  return { key, ...(warning !== undefined ? { warning } : {}) };
}

function keyOf(raw: Buffer, file: string): Buffer {
  const expected = `expected 32 random bytes, as raw bytes, 64 hex characters or base64 (e.g. \`openssl rand -hex 32 > ${file}\`)`;
  // 32 bytes that are all printable text are a pass phrase, not a random key (a random key is all text once in 10^14)
  if (raw.length === KEY_BYTES && !raw.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) return Buffer.from(raw);
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text) || /^[A-Za-z0-9_-]{43}=?$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === KEY_BYTES) return b;
  }
  const what = raw.length === KEY_BYTES ? '32 characters of text' : `${raw.length} bytes that are none of these`;
  throw new Error(`--store-key-file ${file}: ${expected}; it holds ${what}`);
}

/** `value` sealed for the name `name`: a fresh random nonce each time (GCM must never see a nonce twice under one key). */
export function seal(key: Buffer, name: string, value: Buffer): Buffer {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  c.setAAD(Buffer.from(name, 'utf8'));
  const ct = Buffer.concat([c.update(value), c.final()]);
  const env: Envelope = { v: 1, alg: 'A256GCM', nonce: nonce.toString('base64'), ct: ct.toString('base64'), tag: c.getAuthTag().toString('base64') };
  return Buffer.from(JSON.stringify(env));
}

/** The value sealed for `name`, or an error naming the secret: never bytes that did not authenticate. */
export function unseal(key: Buffer, name: string, sealed: Buffer): Buffer {
  const refuse = (why: string): Error => new Error(`shared secret ${name} cannot be opened: ${why}`);
  const env = envelopeOf(sealed);
  if (env === undefined) throw refuse('it is not a sealed value (the store holds something trellis did not write)');
  if (env.v !== 1 || env.alg !== 'A256GCM') throw refuse(`it is sealed as v${String(env.v)} ${String(env.alg)}, which this trellis does not know (a newer version wrote it)`);
  const nonce = Buffer.from(env.nonce, 'base64');
  const tag = Buffer.from(env.tag, 'base64');
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw refuse('--store-key-file is not the key it was sealed with, or the value was altered');
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    d.setAAD(Buffer.from(name, 'utf8'));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(Buffer.from(env.ct, 'base64')), d.final()]);
  } catch {
    throw refuse('--store-key-file is not the key it was sealed with, or the value was altered');
  }
}

/** The envelope's fields, typed only as far as they were checked (`v` and `alg` are the caller's to judge). */
function envelopeOf(sealed: Buffer): { v: unknown; alg: unknown; nonce: string; ct: string; tag: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sealed.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as Record<string, unknown>;
  const { v, alg, nonce, ct, tag } = o;
  if (typeof nonce !== 'string' || typeof ct !== 'string' || typeof tag !== 'string') return undefined;
  return { v, alg, nonce, ct, tag };
}

/** `inner` with every value sealed on the way in and opened on the way out; names (and watch events) pass through as they are. */
export function sealSecrets(inner: SecretStore, key: Buffer): SecretStore {
  if (key.length !== KEY_BYTES) throw new Error(`the store key must be ${KEY_BYTES} bytes, got ${key.length}`);
  return {
    async get(name) {
      const v = await inner.get(name);
      return v === undefined ? undefined : unseal(key, name, v);
    },
    // the winner's value comes back sealed by the winner: opening it also proves both replicas hold the same key
    async createIfAbsent(name, value) {
      return unseal(key, name, await inner.createIfAbsent(name, seal(key, name, value)));
    },
    put: (name, value) => inner.put(name, seal(key, name, value)),
    delete: (name) => inner.delete(name),
    async list(prefix) {
      return (await inner.list(prefix)).map((e) => ({ name: e.name, value: unseal(key, e.name, e.value) }));
    },
    watch: (prefix, onChange) => inner.watch(prefix, onChange),
  };
}
