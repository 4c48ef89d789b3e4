// Sealed secrets: what the replicas keep in the store opens only with the same key and under the same name; key files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readStoreKey, seal, sealSecrets, unseal } from '../../../src/control/cluster/sealed-secrets.js';
import { MemorySecretStore } from '../../../src/control/cluster/memory-secret-store.js';

interface Env {
  v: number;
  alg: string;
  nonce: string;
  ct: string;
  tag: string;
}
const envOf = (b: Buffer): Env => JSON.parse(b.toString()) as Env;
const flip = (b64: string, at = 0): string => {
  const b = Buffer.from(b64, 'base64');
  b[at]! ^= 1;
  return b.toString('base64');
};

describe('sealed secrets', () => {
  const key = randomBytes(32);

  it('round-trips any name and value through a sealed store; the inner store never holds the plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.uint8Array({ maxLength: 512 }), async (name, bytes) => {
        const inner = new MemorySecretStore();
        const sealed = sealSecrets(inner, key);
        const value = Buffer.from(bytes);
        await sealed.put(name, value);
        assert.deepEqual(await sealed.get(name), value);
        assert.deepEqual(await sealed.list(''), [{ name, value }]);
        const raw = (await inner.get(name))!;
        assert.equal(envOf(raw).alg, 'A256GCM');
        if (value.length >= 8) assert.equal(raw.includes(value), false, 'plaintext in the store');
        assert.deepEqual(unseal(key, name, seal(key, name, value)), value);
      }),
      { numRuns: 200 },
    );
  });

  it('uses a fresh nonce for every write', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => envOf(seal(key, 'n', Buffer.from('same'))).nonce));
    assert.equal(nonces.size, 50);
  });

  it('createIfAbsent returns the winner opened; get of an absent name is undefined', async () => {
    const sealed = sealSecrets(new MemorySecretStore(), key);
    const [a, b] = await Promise.all([sealed.createIfAbsent('x', Buffer.from('first')), sealed.createIfAbsent('x', Buffer.from('second'))]);
    assert.equal(a.toString(), 'first');
    assert.equal(b.toString(), 'first');
    assert.equal(await sealed.get('nothing'), undefined);
    await sealed.delete('x');
    assert.equal(await sealed.get('x'), undefined);
  });

  it('refuses the wrong key, naming the secret and never returning bytes', async () => {
    const inner = new MemorySecretStore();
    await sealSecrets(inner, key).put('ca/active', Buffer.from('the CA key'));
    const other = sealSecrets(inner, randomBytes(32));
    await assert.rejects(other.get('ca/active'), /shared secret ca\/active cannot be opened: --store-key-file is not the key it was sealed with, or the value was altered/);
    await assert.rejects(other.list('ca/'), /ca\/active/);
    await assert.rejects(other.createIfAbsent('ca/active', Buffer.from('mine')), /ca\/active cannot be opened/);
  });

  it('refuses a value moved to another name', async () => {
    const inner = new MemorySecretStore();
    const sealed = sealSecrets(inner, key);
    await sealed.put('auth/identity-signing-key', Buffer.from('token key'));
    await inner.put('ca/active', (await inner.get('auth/identity-signing-key'))!);
    await assert.rejects(sealed.get('ca/active'), /shared secret ca\/active cannot be opened/);
  });

  it('refuses any altered ciphertext, tag or nonce, a cut tag, an unknown version, and what is not an envelope', () => {
    const env = envOf(seal(key, 'ca/active', Buffer.from('the CA key')));
    const open = (e: object): Buffer => unseal(key, 'ca/active', Buffer.from(JSON.stringify(e)));
    assert.throws(() => open({ ...env, ct: flip(env.ct) }), /ca\/active cannot be opened: .*altered/);
    assert.throws(() => open({ ...env, tag: flip(env.tag, 15) }), /altered/);
    assert.throws(() => open({ ...env, nonce: flip(env.nonce, 11) }), /altered/);
    // Node would check only the first 4 bytes of a 4-byte tag: a forger's shortcut, refused
    assert.throws(() => open({ ...env, tag: Buffer.from(env.tag, 'base64').subarray(0, 4).toString('base64') }), /altered/);
    assert.throws(() => open({ ...env, v: 2 }), /sealed as v2 .* does not know/);
    assert.throws(() => open({ ...env, alg: 'A128GCM' }), /does not know/);
    assert.throws(() => unseal(key, 'ca/active', Buffer.from('not json')), /ca\/active cannot be opened: it is not a sealed value/);
    assert.throws(() => unseal(key, 'ca/active', Buffer.from('{"v":1}')), /not a sealed value/);
    assert.throws(() => unseal(key, 'ca/active', Buffer.from('null')), /not a sealed value/);
  });

  it('tampering anywhere in the stored bytes never yields a value (property)', () => {
    const value = Buffer.from('a secret worth keeping');
    const sealed = seal(key, 'auth/x', value);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = Buffer.from(sealed);
        bad[at]! ^= x;
        try {
          const got = unseal(key, 'auth/x', bad);
          // base64 decoders ignore some bit changes (padding bits): then the same authenticated bytes come back
          assert.deepEqual(got, value);
        } catch (e) {
          assert.match((e as Error).message, /^shared secret auth\/x cannot be opened: /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => sealSecrets(new MemorySecretStore(), randomBytes(16)), /32 bytes/);
  });
});

describe('--store-key-file', () => {
  const key = randomBytes(32);
  const withDir = (fn: (write: (name: string, v: string | Buffer, mode?: number) => string) => void): void => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-key-'));
    try {
      fn((name, v, mode = 0o600) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, v, { mode });
        fs.chmodSync(p, mode);
        return p;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it('reads 32 raw bytes, 64 hex characters or base64 (padded or url-safe), ignoring surrounding white space', () => {
    // a raw key that happens to be all text is a pass phrase in disguise: keep this one binary
    key[0] = 0;
    withDir((write) => {
      assert.deepEqual(readStoreKey(write('raw', key)), { key });
      assert.deepEqual(readStoreKey(write('hex', `${key.toString('hex')}\n`)).key, key);
      assert.deepEqual(readStoreKey(write('HEX', `  ${key.toString('hex').toUpperCase()}  \r\n`)).key, key);
      assert.deepEqual(readStoreKey(write('b64', key.toString('base64'))).key, key);
      assert.deepEqual(readStoreKey(write('b64url', `${key.toString('base64url')}\n`)).key, key);
    });
  });

  it('refuses anything else, saying what it wants and never what the file holds', () => {
    withDir((write) => {
      const refused = (name: string, v: string | Buffer): void => {
        assert.throws(
          () => readStoreKey(write(name, v)),
          (e: Error) => {
            assert.match(e.message, new RegExp(`--store-key-file .*${name}: expected 32 random bytes, as raw bytes, 64 hex characters or base64`));
            if (typeof v === 'string' && v.length > 4) assert.equal(e.message.includes(v.trim()), false, 'the file contents in the message');
            return true;
          },
        );
      };
      refused('empty', '');
      refused('short', 'abc');
      refused('long', Buffer.concat([key, Buffer.from([1])]));
      refused('hex63', key.toString('hex').slice(1));
      refused('b64-24', randomBytes(24).toString('base64'));
      refused('passphrase', 'correct horse battery staple!!!!');
      refused('hexspace', `${key.toString('hex').slice(0, 32)} ${key.toString('hex').slice(32)}`);
      assert.throws(() => readStoreKey(path.join(os.tmpdir(), 'trellis-no-such-key')), /--store-key-file .*trellis-no-such-key: cannot read it \(ENOENT\)/);
    });
  });

  it('warns (returned, for the caller to log) when group or others may read the file', () => {
    withDir((write) => {
      const hex = key.toString('hex');
      assert.equal(readStoreKey(write('private', hex, 0o600)).warning, undefined);
      assert.equal(readStoreKey(write('owner-ro', hex, 0o400)).warning, undefined);
      const open = readStoreKey(write('open', hex, 0o644));
      assert.deepEqual(open.key, key, 'still used: a mounted secret may be 0644');
      assert.match(open.warning ?? '', /open is readable by group or others \(mode 0644\).*chmod 600/);
      assert.match(readStoreKey(write('group', hex, 0o640)).warning ?? '', /mode 0640/);
      assert.equal(open.warning!.includes(hex), false);
    });
  });
});
