// Tests: the LDS/CDS file source — a DiscoveryResponse in YAML or JSON (with property tests of the parser), answered on
// subscription, reloaded when a file is moved into place (or into watched_directory), unreadable files reported.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { FileSource, parseDiscoveryFile } from '../../../src/proxy/xds/file-source.js';
import { newWatch, type XdsUpdate } from '../../../src/proxy/xds/ads-protocol.js';
import { CLUSTER_TYPE, LISTENER_TYPE } from '../../../src/xds/type-urls.js';

describe('parseDiscoveryFile', () => {
  it('reads YAML and JSON DiscoveryResponses into proto-JSON entries (the whole set)', () => {
    const yaml = `version_info: "7"\nresources:\n- "@type": ${CLUSTER_TYPE}\n  name: a\n`;
    const u = parseDiscoveryFile(yaml, CLUSTER_TYPE, 'cds.yaml');
    assert.deepEqual(u, { typeUrl: CLUSTER_TYPE, nonce: '', version: '7', resources: [{ json: { '@type': CLUSTER_TYPE, name: 'a' } }], removed: [], full: true });
    const json = JSON.stringify({ versionInfo: 3, typeUrl: CLUSTER_TYPE, resources: [] });
    assert.equal(parseDiscoveryFile(json, CLUSTER_TYPE, 'cds.json').version, '3');
    assert.deepEqual(parseDiscoveryFile('resources: []', LISTENER_TYPE, 'x').resources, []);
    assert.throws(() => parseDiscoveryFile('', LISTENER_TYPE, 'x'), /expected a DiscoveryResponse object/); // an empty file says nothing
  });

  it('refuses what is not a DiscoveryResponse of the type, naming the file', () => {
    const bad: [string, RegExp][] = [
      ['resources: [1', /lds\.yaml: not YAML or JSON/],
      ['- a\n- b', /expected a DiscoveryResponse object/],
      ['resources: {}', /resources must be a list/],
      ['resources: [1]', /resources\[0\] is not an object/],
      [`type_url: ${CLUSTER_TYPE}\nresources: []`, /type_url .*Cluster where .*Listener is expected/],
      ['resource: []', /unknown DiscoveryResponse field "resource"/],
      ['version_info: [1]\nresources: []', /version_info must be a string/],
    ];
    for (const [text, re] of bad) assert.throws(() => parseDiscoveryFile(text, LISTENER_TYPE, 'lds.yaml'), re, text);
  });

  it('property: any text either parses into object entries or throws an Error naming the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ resources: [v] }))), (text) => {
        try {
          const u = parseDiscoveryFile(text, LISTENER_TYPE, 'f.yaml');
          assert.ok(u.resources.every((r) => 'json' in r && typeof r.json === 'object' && r.json !== null && !Array.isArray(r.json)));
        } catch (e) {
          assert.ok(e instanceof Error);
          assert.match(e.message, /^f\.yaml: /);
        }
      }),
    );
  });
});

describe('FileSource', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-fsrc-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const content = (v: string): string => `version_info: "${v}"\nresources:\n- "@type": ${CLUSTER_TYPE}\n  name: c${v}\n`;
  /** Writes next to the file and renames onto it: the atomic replacement Envoy watches for. */
  const moveInto = (file: string, text: string): void => {
    const tmp = path.join(path.dirname(file), `.tmp-${Math.random()}`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  };

  function source(file: string, watchedDirectory?: string): { src: FileSource; updates: XdsUpdate[]; unreadable: string[]; opened: Promise<void> } {
    const updates: XdsUpdate[] = [];
    const unreadable: string[] = [];
    let opened!: () => void;
    const p = new Promise<void>((r) => (opened = r));
    const src = new FileSource(
      { typeUrl: CLUSTER_TYPE, path: file, ...(watchedDirectory !== undefined ? { watchedDirectory } : {}), pollMs: 50 },
      { onOpen: () => opened(), onUpdate: (u) => updates.push(u), onClose: () => {}, onUnreadable: (_t, d) => unreadable.push(d) },
    );
    src.start();
    return { src, updates, unreadable, opened: p };
  }

  async function until(pred: () => boolean, what: string): Promise<void> {
    const end = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('answers a subscription with the file, and each move into place with the new content; edits in place wait for a move', async () => {
    const file = path.join(dir, 'cds.yaml');
    fs.writeFileSync(file, content('1'));
    const { src, updates, opened } = source(file);
    await opened;
    assert.equal(updates.length, 0, 'nothing before a subscription');
    const w = newWatch(CLUSTER_TYPE, 'wildcard');
    assert.equal(src.send({ watch: w, version: '', held: () => ({}), ack: false }), true);
    await until(() => updates.length === 1, 'the first answer');
    assert.equal(updates[0].version, '1');
    src.send({ watch: w, version: '1', held: () => ({}), ack: true }); // an ACK is not a new subscription
    moveInto(file, content('2'));
    await until(() => updates.length === 2, 'the reload after the move');
    assert.equal(updates[1].version, '2');
    fs.writeFileSync(file, content('3')); // in place: not atomic, ignored until the next move
    moveInto(path.join(dir, 'unrelated.yaml'), 'x: 1');
    moveInto(file, content('4'));
    await until(() => updates.length >= 3, 'the reload after the second move');
    assert.equal(updates.at(-1)!.version, '4');
    assert.ok(!updates.some((u) => u.version === '3'));
    src.close();
  });

  it('reports a file that cannot be parsed or read, and goes on watching', async () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, content('1'));
    const { src, updates, unreadable, opened } = source(file);
    await opened;
    src.send({ watch: newWatch(CLUSTER_TYPE, 'wildcard'), version: '', held: () => ({}), ack: false });
    await until(() => updates.length === 1, 'the first answer');
    moveInto(file, 'resources: [1');
    await until(() => unreadable.length === 1, 'the parse failure');
    assert.match(unreadable[0], /not YAML or JSON/);
    fs.rmSync(file);
    await until(() => unreadable.length === 2, 'the read failure');
    assert.match(unreadable[1], /cannot read: ENOENT/);
    moveInto(file, content('5'));
    await until(() => updates.length === 2, 'recovery');
    assert.equal(updates[1].version, '5');
    src.close();
  });

  it('watched_directory: a move of anything into the directory reloads the path (ConfigMap ..data swaps)', async () => {
    const cm = fs.mkdtempSync(path.join(dir, 'cm-'));
    fs.mkdirSync(path.join(cm, 'v1'));
    fs.writeFileSync(path.join(cm, 'v1', 'cds.yaml'), content('1'));
    fs.symlinkSync('v1', path.join(cm, '..data'));
    fs.symlinkSync('..data/cds.yaml', path.join(cm, 'cds.yaml'));
    const { src, updates, opened } = source(path.join(cm, 'cds.yaml'), cm);
    await opened;
    src.send({ watch: newWatch(CLUSTER_TYPE, 'wildcard'), version: '', held: () => ({}), ack: false });
    await until(() => updates.length === 1, 'the first answer');
    fs.mkdirSync(path.join(cm, 'v2'));
    fs.writeFileSync(path.join(cm, 'v2', 'cds.yaml'), content('2'));
    fs.symlinkSync('v2', path.join(cm, '..data_tmp'));
    fs.renameSync(path.join(cm, '..data_tmp'), path.join(cm, '..data'));
    await until(() => updates.length === 2, 'the reload after the ..data swap');
    assert.equal(updates[1].version, '2');
    src.close();
  });
});
