// Test: xxHash64 against published XXH64 vectors (empty, short, stripe boundaries, UTF-8, seeds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxhash64 } from '../../src/common/hash.js';

const vectors: [string, bigint, bigint][] = [
  ['', 0n, 0xef46db3751d8e999n],
  ['', 668718853n, 0x04e830582a31a119n],
  ['a', 0n, 0xd24ec4f1a98c6e5bn],
  ['a', 191961062n, 0x6e05ba2887c97977n],
  ['abc', 0n, 0x44bc2cf5ad770999n],
  ['abcdefghijkl', 0n, 0x4b09b7d3a233d4b3n],
  ['abcdefghijklmnop', 0n, 0x71ce8137ca2dd53dn],
  ['abcdefghijklmnopqrstuvwx', 0n, 0x0bec95e34669983bn],
  ['abcdefghijklmnopqrstuvwxyz12345', 0n, 0x467605901b01d6f6n],
  ['abcdefghijklmnopqrstuvwxyz12345', 877380273n, 0x37b562ec5715e132n],
  ['abcdefghijklmnopqrstuvwxyz123456', 0n, 0x0022ee3b5a18531bn],
  ['abcdefghijklmnopqrstuvwxyz1234567', 0n, 0x23bbd16d29353c5fn],
  ['测试', 0n, 0x403d66837e9bc61fn],
  ['测试', 1332727061n, 0x8b79d3346ad56ea2n],
  ['鹅鹅鹅，曲项向天歌。白毛浮绿水，红掌拨清波', 0n, 0x497ad04e6a197d28n],
  ['鹅鹅鹅，曲项向天歌。白毛浮绿水，红掌拨清波.', 0n, 0xec19910c59fa74e0n],
];

test('xxhash64 matches published vectors', () => {
  for (const [input, seed, want] of vectors) {
    assert.equal(xxhash64(input, seed), want, `${JSON.stringify(input)} seed ${seed}`);
  }
});

test('xxhash64 hashes bytes and strings identically, including subarrays', () => {
  const bytes = new TextEncoder().encode('xxabcdefghijklmnopqrstuvwxyz1234567');
  assert.equal(xxhash64(bytes.subarray(2)), 0x23bbd16d29353c5fn);
  assert.equal(xxhash64(new Uint8Array([0])), 0xe934a84adb052768n);
});

test('xxhash64 handles strings longer than the scratch buffer', () => {
  const long = 'x'.repeat(5000);
  assert.equal(xxhash64(long), xxhash64(new TextEncoder().encode(long)));
});
