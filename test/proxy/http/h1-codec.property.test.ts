// Proxy HTTP: fast-check properties of the downstream HTTP/1.1 codec — generated header lists in random chunkings never throw,
// and always end as one forwarded request or as a 4xx reply with a close. Seed convention: a fixed seed, printed, overridable with FC_SEED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecUnderTest } from './h1-harness.js';

const SEED = Number(process.env.FC_SEED ?? 20240611);
const RUNS = Number(process.env.FC_RUNS ?? 300);

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Not tchar, not ':' (which would just end the name), not CR/LF (which change the framing). */
const BAD_NAME_CHARS = ' "(),/;<=>?@[\\]{}\x00\x01\x7f\x80\xff\t';
/** Field-value bytes llhttp refuses (CTLs other than HTAB, and DEL); CR/LF are left to the framing property. */
const BAD_VALUE_CHARS = '\x00\x01\x08\x0b\x0c\x0e\x1f\x7f';
const GOOD_VALUE_CHARS = ' \t!"#az09~\x80\xe9\xff()<>@,;:\\/[]?={}';
const GOOD_HOSTS = ['example.com', 'a.example:8080', '127.0.0.1', '[::1]:443', 'x_y-z~'];
const BAD_HOSTS = ['a b', 'u@h', 'h/p', 'a:b', '[::1', 'h\x80', '"q"'];

function chunked(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const n = sizes.length === 0 ? bytes.length : sizes[i % sizes.length];
    out.push(bytes.subarray(off, off + n));
    off += n;
  }
  return out;
}

function head(fields: readonly (readonly [string, string])[]): Buffer {
  let s = 'GET /p?q=1 HTTP/1.1\r\n';
  for (const [k, v] of fields) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

const trimOws = (v: string): string => v.replace(/^[ \t]+|[ \t]+$/g, '');
const sizes = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 0, maxLength: 8 });

/** Either the request went through (and nothing was written), or a 4xx with connection: close ended the connection. */
function assertForwardedOr4xx(c: CodecUnderTest): 'forwarded' | number {
  assert.ok(!c.errors.includes('ERR_CODEC_EXCEPTION'), 'no exception escaped a parser callback');
  if (c.requests.length > 0) {
    assert.equal(c.requests[0].path, '/p?q=1', 'the request line comes first, whatever follows it');
    assert.deepEqual(c.statuses(), [], 'a forwarded request gets nothing from the codec itself');
    return 'forwarded';
  }
  const statuses = c.statuses();
  assert.equal(statuses.length, 1, `exactly one reply, got ${JSON.stringify(c.socket.output().slice(0, 200))}`);
  assert.ok(statuses[0] >= 400 && statuses[0] < 500, `4xx, got ${statuses[0]}`);
  assert.match(c.socket.output(), /\r\nconnection: close\r\n/);
  assert.equal(c.socket.closedByCodec, true);
  return statuses[0];
}

test(`h1 codec property (seed ${SEED}): arbitrary header bytes in random chunkings never throw; forwarded or 4xx+close`, () => {
  console.log(`fast-check seed ${SEED}, ${RUNS} runs (rerun with FC_SEED=${SEED})`);
  // Mostly well-formed fields, so that heads often get past 32 fields (where llhttp's binding flushes in pieces).
  const anyName = fc.oneof(
    { weight: 30, arbitrary: fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );
  const anyValue = fc.oneof(
    { weight: 30, arbitrary: fc.string({ unit: fc.constantFrom(...GOOD_VALUE_CHARS), maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  );
  const fields = fc.array(fc.tuple(anyName, anyValue), { minLength: 0, maxLength: 200, size: 'max' });
  fc.assert(
    fc.property(fields, sizes, (fs, sz) => {
      const c = new CodecUnderTest();
      c.sendSync(chunked(head(fs), sz));
      assertForwardedOr4xx(c);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test(`h1 codec property (seed ${SEED}): valid heads are forwarded exactly; invalid bytes, bad or repeated Host, >100 fields are 4xx`, () => {
  console.log(`fast-check seed ${SEED}, ${RUNS} runs (rerun with FC_SEED=${SEED})`);
  const goodName = fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 12 }).map((n) => `x-${n}`);
  const badName = fc.tuple(goodName, fc.constantFrom(...BAD_NAME_CHARS), fc.nat()).map(([n, ch, at]) => {
    const i = at % (n.length + 1);
    return n.slice(0, i) + ch + n.slice(i);
  });
  const goodValue = fc.string({ unit: fc.constantFrom(...GOOD_VALUE_CHARS), maxLength: 20 });
  const badValue = fc.tuple(goodValue, fc.constantFrom(...BAD_VALUE_CHARS), fc.nat()).map(([v, ch, at]) => {
    const i = at % (v.length + 1);
    return v.slice(0, i) + ch + v.slice(i);
  });
  type Gen = { name: string; value: string; bad: boolean; host?: 'good' | 'bad' };
  const field: fc.Arbitrary<Gen> = fc.oneof(
    { weight: 20, arbitrary: fc.tuple(goodName, goodValue).map(([name, value]) => ({ name, value, bad: false })) },
    { weight: 1, arbitrary: fc.tuple(badName, goodValue).map(([name, value]) => ({ name, value, bad: true })) },
    { weight: 1, arbitrary: fc.tuple(goodName, badValue).map(([name, value]) => ({ name, value, bad: true })) },
    { weight: 2, arbitrary: fc.constantFrom(...GOOD_HOSTS).map((value) => ({ name: 'Host', value, bad: false, host: 'good' as const })) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_HOSTS).map((value) => ({ name: 'host', value, bad: false, host: 'bad' as const })) },
  );
  fc.assert(
    fc.property(fc.array(field, { minLength: 0, maxLength: 200, size: 'max' }), sizes, (fs, sz) => {
      const c = new CodecUnderTest();
      c.sendSync(chunked(head(fs.map((f) => [f.name, f.value] as const)), sz));
      const outcome = assertForwardedOr4xx(c);
      const badBytes = fs.some((f) => f.bad);
      const hosts = fs.filter((f) => f.host !== undefined);
      const badHost = hosts.length > 1 || hosts.some((f) => f.host === 'bad');
      const tooMany = fs.length > 100;
      if (!badBytes && !badHost && !tooMany) {
        assert.equal(outcome, 'forwarded');
        const expected: Record<string, string> = {};
        for (const f of fs) {
          const k = f.name.toLowerCase();
          const v = trimOws(f.value);
          expected[k] = k in expected ? `${expected[k]}, ${v}` : v;
        }
        assert.deepEqual({ ...c.requests[0].headers }, expected);
        assert.equal(c.requests[0].path, '/p?q=1');
      } else if (badBytes || badHost) {
        // Several faults in one head: whichever the parser meets first decides between 400 and 431.
        assert.ok(outcome === 400 || (tooMany && outcome === 431), `expected 400, got ${outcome}`);
      } else assert.equal(outcome, 431);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
