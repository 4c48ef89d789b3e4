// Test: the shared RE2 module — full vs partial match, RE2 syntax in and out, linear time, GlobalReplace and rewrites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Re2 } from '../../src/common/re2.js';
import { Rewrite } from '../../src/common/re2-rewrite.js';

const re = (s: string): Re2 => Re2.mustCompile(s);

function rw(sub: string, pattern: Re2): Rewrite {
  const r = Rewrite.parse(sub, pattern.groupCount);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

/** Envoy's regex_rewrite: every match replaced, with \N group references. */
function replace(pattern: string, sub: string, s: string): string {
  const p = re(pattern);
  return p.replaceAll(s, rw(sub, p));
}

test('fullMatch needs the whole string; partialMatch any part of it', () => {
  const p = re('b[io]t');
  assert.ok(p.fullMatch('bot'));
  assert.ok(!p.fullMatch('bots'));
  assert.ok(!p.fullMatch('a bot'));
  assert.ok(p.partialMatch('a bot!'));
  assert.ok(!p.partialMatch('bat'));
  // Alternation under full match: the whole string, not the first alternative that matches a prefix.
  assert.ok(re('a|ab').fullMatch('ab'));
  // Anchors in a partial match anchor to the whole string.
  assert.ok(re('^server\\.').partialMatch('server.live'));
  assert.ok(!re('^server\\.').partialMatch('cluster.server.live'));
  assert.ok(re('live$').partialMatch('server.live'));
});

test('RE2 syntax that JS RegExp lacks compiles and means what RE2 says', () => {
  assert.ok(re('(?i)/API/(?P<v>v[0-9]+)').fullMatch('/api/V2'));
  assert.ok(re('\\Afoo\\z').fullMatch('foo'));
  assert.ok(re('\\pL+').fullMatch('héllo'));
  assert.ok(re('[[:digit:]]+').fullMatch('123'));
  assert.ok(re('(?s)a.b').fullMatch('a\nb'));
  assert.ok(!re('a.b').fullMatch('a\nb'));
  // \s is ASCII white space in RE2 (JS's also takes \v and Unicode spaces).
  assert.ok(!re('\\s').fullMatch('\u00a0'));
});

test('what RE2 rejects is an error that names the regex and says why', () => {
  assert.equal(Re2.compile('(a)\\1'), 'invalid RE2 regex "(a)\\\\1": invalid escape sequence: `\\1` (RE2 has no back-references)');
  assert.match(String(Re2.compile('(?!bot).*')), /^invalid RE2 regex "\(\?!bot\)\.\*": .*\(RE2 has no look-around\)$/);
  assert.match(String(Re2.compile('(?<=a)b')), /RE2 has no look-around/);
  assert.match(String(Re2.compile('([a-z')), /^invalid RE2 regex "\(\[a-z": missing closing \]/);
  assert.match(String(Re2.compile('a{1001}')), /invalid repeat count/);
  assert.match(String(Re2.compile('\\u0041')), /invalid escape sequence/);
  assert.throws(() => Re2.mustCompile('('), /invalid RE2 regex "\(": missing closing \)/);
});

test('catastrophic backtracking patterns run in linear time', () => {
  const evil = `${'a'.repeat(40)}!`;
  const t0 = performance.now();
  assert.ok(!re('^(a+)+$').fullMatch(evil));
  assert.ok(!re('(a+)+$').partialMatch(evil.replace('!', '!b')));
  assert.ok(!re('(a|aa)*c').partialMatch('a'.repeat(5000)));
  assert.equal(replace('(a*)*b', 'x', 'a'.repeat(2000)), 'a'.repeat(2000));
  assert.ok(performance.now() - t0 < 100, `took ${performance.now() - t0} ms`);
});

test('replaceAll: Envoy regex_rewrite examples', () => {
  assert.equal(replace('^/service/([^/]+)(/.*)$', '\\2/instance/\\1', '/service/foo/v1/api'), '/v1/api/instance/foo');
  assert.equal(replace('one', 'two', '/xxx/one/yyy/one/zzz'), '/xxx/two/yyy/two/zzz');
  assert.equal(replace('^(.*?)one(.*)$', '\\1two\\2', '/xxx/one/yyy/one/zzz'), '/xxx/two/yyy/one/zzz');
  assert.equal(replace('(?i)/xxx/', '/yyy/', '/aaa/XxX/bbb'), '/aaa/yyy/bbb');
});

test('replaceAll: RE2 GlobalReplace rules for empty matches, groups and literals', () => {
  // An empty match where the previous match ended is skipped: `.*` replaces "/a" once (JS's replace does it twice).
  assert.equal(replace('.*', '/b', '/a'), '/b');
  assert.equal(replace('a*', '-', 'baaac'), '-b-c-');
  assert.equal(replace('x*', '-', 'abc'), '-a-b-c-');
  assert.equal(replace('x*', '-', ''), '-');
  // An empty match steps over a whole surrogate pair.
  assert.equal(replace('x*', '-', 'a😀'), '-a-😀-');
  // \0 is the whole match, an unmatched group is empty, \\ is a backslash; $ and a digit after a group are literal.
  assert.equal(replace('(a)|(b)', '[\\0\\1\\2]', 'ab'), '[aa][bb]');
  assert.equal(replace('^/a/(\\d+)$', '/b/\\12$&\\\\', '/a/7'), '/b/72$&\\');
  // No match: the input itself.
  const s = '/unchanged';
  assert.equal(replace('zzz', 'y', s), s);
});

test('Rewrite.parse refuses what RE2 refuses', () => {
  assert.equal(Rewrite.parse('\\2', 1), 'substitution refers to group \\2 but the regex has 1');
  assert.match(String(Rewrite.parse('\\n', 1)), /invalid escape in substitution "\\\\n"/);
  assert.match(String(Rewrite.parse('abc\\', 1)), /invalid escape in substitution/);
  assert.ok(Rewrite.parse('\\0\\1 $1 ${x}', 1) instanceof Rewrite);
});

test('property: a quoted literal full-matches only itself and replaceAll agrees with split/join', () => {
  const quote = (s: string): string => s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '.', '*', '(', ')', '[', '\\', '$', '/', '😀'), maxLength: 12 });
  fc.assert(
    fc.property(text.filter((s) => s.length > 0), text, (lit, s) => {
      const p = re(quote(lit));
      assert.equal(p.fullMatch(s), s === lit);
      assert.equal(p.partialMatch(s), s.includes(lit));
      assert.equal(p.replaceAll(s, rw('<\\0>', p)), s.split(lit).join(`<${lit}>`));
    }),
  );
});

test('property: replaceAll agrees with JS replace when no match can be empty', () => {
  const patterns = ['[a-c]+', '(a)(b)?', 'ab|a', '(?:ba)+c?', '[^x]x'] as const;
  fc.assert(
    fc.property(fc.constantFrom(...patterns), fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x'), maxLength: 16 }), (src, s) => {
      const p = re(src);
      const js = new RegExp(src, 'g');
      const sub = p.groupCount > 0 ? '<\\0|\\1>' : '<\\0>';
      const jsSub = p.groupCount > 0 ? '<$&|$1>' : '<$&>';
      assert.equal(p.replaceAll(s, rw(sub, p)), s.replace(js, jsSub));
      assert.equal(p.fullMatch(s), new RegExp(`^(?:${src})$`).test(s));
    }),
  );
});
