// Tests for `trellis delete`, `history`, `rollback` and `diff` against the fake control plane: requests, tables, JSON, unified diffs, errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeControlPlane } from './fake-server.js';
import { REVIEWS_DR, REVIEWS_VS, SERVICES, tempFile } from './fixtures.js';
import { run } from './harness.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
  cp.seed(SERVICES, 'alice', 'services'); // revision 1
  cp.seed(REVIEWS_VS, 'bob', 'reviews to v1'); // revision 2
  cp.seed(REVIEWS_VS.replace('subset: v1', 'subset: v2'), 'bob', 'reviews to v2'); // revision 3
});
after(() => cp.stop());

test('history prints REVISION TIME AUTHOR MESSAGE CHANGES, oldest first; --limit is sent', async () => {
  const r = await run(['history', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^REVISION\s+TIME\s+AUTHOR\s+MESSAGE\s+CHANGES$/);
  assert.match(lines[1] ?? '', /^1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+alice\s+services\s+created Service\/default\/reviews, … \(\+1 more\)$/);
  assert.match(lines[3] ?? '', /^3\s.*bob\s+reviews to v2\s+updated VirtualService\/default\/reviews$/);
  await run(['history', '--limit', '2', '--server', cp.url]);
  assert.deepEqual(cp.last().query, { limit: '2' });
  assert.equal((await run(['history', '--limit', 'x', '--server', cp.url])).code, 1);
});

test('history -o json is an array with revision, time and message', async () => {
  const r = await run(['history', '-o', 'json', '--server', cp.url]);
  const revs = JSON.parse(r.stdout) as { revision: number; time: string; message: string }[];
  assert.ok(Array.isArray(revs));
  assert.deepEqual(revs.map((x) => x.revision), [1, 2, 3]);
  assert.ok(revs.every((x) => typeof x.time === 'string' && typeof x.message === 'string'));
});

test('diff A B prints a unified diff of the changed resource YAML', async () => {
  const r = await run(['diff', '2', '3', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(cp.last().query, { from: '2', to: '3' });
  assert.match(r.stdout, /^--- a\/VirtualService\/default\/reviews\t\(revision 2\)$/m);
  assert.match(r.stdout, /^\+\+\+ b\/VirtualService\/default\/reviews\t\(revision 3\)$/m);
  assert.match(r.stdout, /^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
  assert.match(r.stdout, /^-\s+subset: v1$/m);
  assert.match(r.stdout, /^\+\s+subset: v2$/m);
  const added = await run(['diff', '1', '2', '--server', cp.url, '--exit-code']);
  assert.equal(added.code, 1, '--exit-code reports differences');
  assert.match(added.stdout, /^--- \/dev\/null$/m);
  assert.match(added.stdout, /^\+kind: VirtualService$/m);
  const json = JSON.parse((await run(['diff', '1', '3', '-o', 'json', '--server', cp.url])).stdout) as { key: string; op: string }[];
  assert.deepEqual(json.map((e) => [e.key, e.op]), [['VirtualService/default/reviews', 'added']]);
});

test('rollback --to N posts {to, author, message} and reports the new revision', async () => {
  const r = await run(['rollback', '--to', '2', '-m', 'undo canary', '--server', cp.url, '--author', 'carol']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().path, '/api/v1/rollback');
  assert.deepEqual(cp.last().body, { to: 2, author: 'carol', message: 'undo canary' });
  assert.equal(cp.last().author, 'carol');
  assert.equal(r.stdout, 'rolled back to revision 2 as revision 4\n');
  const missing = await run(['rollback', '--to', '99', '--server', cp.url]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^to: no revision 99$/m);
  assert.match((await run(['rollback', '--server', cp.url])).stderr, /rollback needs a revision: rollback N/);
});

test('rollback N is rollback --to N; both at once is a usage error; read-only verbs take no --author', async () => {
  const r = await run(['rollback', '2', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().path, '/api/v1/rollback');
  assert.equal((cp.last().body as { to: number }).to, 2);
  const both = await run(['rollback', '2', '--to', '3', '--server', cp.url]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /give the revision once/);
  assert.match((await run(['rollback', 'two', '--server', cp.url])).stderr, /the revision must be a revision number, got "two"/);
  for (const verb of [['history'], ['get', 'vs'], ['diff', '1', '2'], ['proxy-status']]) {
    const ro = await run([...verb, '--author', 'eve', '--server', cp.url]);
    assert.notEqual(ro.code, 0, `${verb[0]} --author`);
    assert.match(ro.stderr, /unknown option '--author'/);
  }
});

test('delete KIND NAME sends keys and prints kubectl lines', async () => {
  cp.seed(REVIEWS_DR);
  const r = await run(['delete', 'dr', 'reviews', '-m', 'drop dr', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(cp.last().body, { author: 'tester', message: 'drop dr', keys: ['DestinationRule/default/reviews'] });
  assert.match(r.stdout, /^destinationrule\.networking\.istio\.io "reviews" deleted$/m);
  assert.match(r.stdout, /^revision \d+$/m);
});

test('delete --author names the author of the revision, in the body and the header', async () => {
  cp.seed(REVIEWS_DR);
  const r = await run(['delete', 'dr', 'reviews', '--author', 'erin', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().body?.author, 'erin');
  assert.equal(cp.last().author, 'erin');
});

test('delete -f FILE sends the text; a 404 prints each missing key and exits 1', async () => {
  const r = await run(['delete', '-f', tempFile('svc.yaml', SERVICES), '-n', 'ignored', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(String(cp.last().body?.text), /kind: Service/);
  assert.match(r.stdout, /^service "ratings" deleted$/m);
  const again = await run(['delete', 'svc', 'reviews', 'ratings', '--server', cp.url]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^Service\/default\/reviews: not found$/m);
  assert.match(again.stderr, /^Service\/default\/ratings: not found$/m);
  assert.match((await run(['delete', '--server', cp.url])).stderr, /either -f FILE or KIND NAME/);
  assert.match((await run(['delete', 'vs', '--server', cp.url])).stderr, /at least one NAME/);
});
