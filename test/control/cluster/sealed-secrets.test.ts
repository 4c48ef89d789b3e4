// Sealed secrets: what the replicas keep in etcd opens only with the same key and under the same name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readStoreKey, seal, unseal } from '../../../src/control/cluster/sealed-secrets.js';

describe('sealed secrets', () => {
  const key = randomBytes(32);

  it('round-trips any name and value; never stores the plaintext', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.uint8Array({ maxLength: 512 }), (name, bytes) => {
        const value = Buffer.from(bytes);
        const sealed = seal(key, name, value);
        assert.deepEqual(unseal(key, name, sealed), value);
        if (value.length >= 8) assert.equal(sealed.includes(value), false);
      }),
    );
  });

  it('refuses the wrong key, another name, and any altered byte, naming the secret', () => {
    const sealed = seal(key, 'ca/active', Buffer.from('the CA key'));
    assert.throws(() => unseal(randomBytes(32), 'ca/active', sealed), /shared secret ca\/active cannot be opened/);
    assert.throws(() => unseal(key, 'auth/admin-token', sealed), /auth\/admin-token/);
    const env = JSON.parse(sealed.toString()) as { ct: string };
    const ct = Buffer.from(env.ct, 'base64');
    ct[0]! ^= 1;
    assert.throws(() => unseal(key, 'ca/active', Buffer.from(JSON.stringify({ ...env, ct: ct.toString('base64') }))), /altered/);
    assert.throws(() => unseal(key, 'ca/active', Buffer.from('not json')), /cannot be opened/);
  });

  it('reads a key file as raw bytes, hex or base64, and refuses anything else', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-key-'));
    const write = (name: string, v: string | Buffer): string => {
      fs.writeFileSync(path.join(dir, name), v);
      return path.join(dir, name);
    };
    assert.deepEqual(readStoreKey(write('raw', key)), key);
    assert.deepEqual(readStoreKey(write('hex', `${key.toString('hex')}\n`)), key);
    assert.deepEqual(readStoreKey(write('b64', key.toString('base64'))), key);
    assert.throws(() => readStoreKey(write('short', 'abc')), /32-byte key/);
    assert.throws(() => readStoreKey(write('long', randomBytes(33))), /32-byte key/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
