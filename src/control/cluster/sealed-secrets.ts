// Control-plane cluster: shared secrets sealed with AES-256-GCM before they reach the store (the key comes from
// --store-key-file); the secret's name is authenticated too, so a value cannot be moved to another name.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { SecretStore } from './secret-store.js';

interface Envelope {
  v: 1;
  alg: 'A256GCM';
  nonce: string;
  ct: string;
  tag: string;
}

/** 32 raw bytes, 64 hex characters or base64 of 32 bytes; anything else is refused with what was expected. */
export function readStoreKey(file: string): Buffer {
  const raw = fs.readFileSync(file);
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const b64 = /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (b64?.length === 32) return b64;
  throw new Error(`--store-key-file ${file}: expected a 32-byte key (raw, 64 hex characters or base64), e.g. from \`openssl rand -hex 32\``);
}

export function seal(key: Buffer, name: string, value: Buffer): Buffer {
  const nonce = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(name));
  const ct = Buffer.concat([c.update(value), c.final()]);
  const env: Envelope = { v: 1, alg: 'A256GCM', nonce: nonce.toString('base64'), ct: ct.toString('base64'), tag: c.getAuthTag().toString('base64') };
  return Buffer.from(JSON.stringify(env));
}

export function unseal(key: Buffer, name: string, sealed: Buffer): Buffer {
  try {
    const env = JSON.parse(sealed.toString('utf8')) as Envelope;
    if (env.v !== 1 || env.alg !== 'A256GCM') throw new Error('unknown envelope');
    const d = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(env.nonce, 'base64'));
    d.setAAD(Buffer.from(name));
    d.setAuthTag(Buffer.from(env.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(env.ct, 'base64')), d.final()]);
  } catch {
    throw new Error(`shared secret ${name} cannot be opened: --store-key-file is not the key it was sealed with, or the value was altered`);
  }
}

export function sealSecrets(inner: SecretStore, key: Buffer): SecretStore {
  return {
    async get(name) {
      const v = await inner.get(name);
      return v === undefined ? undefined : unseal(key, name, v);
    },
    async createIfAbsent(name, value) {
      return unseal(key, name, await inner.createIfAbsent(name, seal(key, name, value)));
    },
    put: (name, value) => inner.put(name, seal(key, name, value)),
    async list(prefix) {
      return (await inner.list(prefix)).map((e) => ({ name: e.name, value: unseal(key, e.name, e.value) }));
    },
    watch: (prefix, onChange) => inner.watch(prefix, onChange),
  };
}
