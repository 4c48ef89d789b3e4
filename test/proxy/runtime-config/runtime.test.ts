// Tests the layered runtime loader: static/disk/admin precedence, disk trees, symlink swaps (watched and polled), GET /runtime's dump.
import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NoAdminLayerError, Runtime } from '../../../src/proxy/runtime-config/runtime.js';
import type { LayeredRuntime, RuntimeLayer } from '../../../src/proxy/config/types.js';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import { formatStatsText } from '../../../src/proxy/telemetry/stats-format.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-runtime-'));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Writes files given as {'a/b/c': 'value'} under dir. */
function tree(dir: string, files: Record<string, string>): string {
  for (const [rel, v] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), v);
  }
  return dir;
}

/** The atomic swap the Envoy docs describe: ln -s target new && mv -Tf new current. */
function swap(link: string, target: string): void {
  const tmpLink = `${link}.new`;
  fs.symlinkSync(target, tmpLink);
  fs.renameSync(tmpLink, link);
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const staticLayer = (name: string, values: Record<string, string | number | boolean>): RuntimeLayer => ({
  name,
  layer_specifier: { kind: 'static_layer', static_layer: values, values },
});
const diskLayer = (name: string, root: string, subdirectory = '', append = false): RuntimeLayer => ({
  name,
  layer_specifier: { kind: 'disk_layer', disk_layer: { symlink_root: root, subdirectory, append_service_cluster: append } },
});
const adminLayer = (name = 'admin'): RuntimeLayer => ({ name, layer_specifier: { kind: 'admin_layer' } });

function runtime(config: LayeredRuntime | undefined, opts: ConstructorParameters<typeof Runtime>[1] = {}): Runtime {
  const r = new Runtime(config, { log: () => {}, ...opts });
  cleanups.push(() => r.dispose());
  return r;
}

describe('layered runtime', () => {
  it('applies layers in order: static < disk < override disk < admin', () => {
    const root = tmp();
    tree(path.join(root, 'v1'), { 'envoy/a': '2', 'envoy/b': '2', 'envoy/health_check/min_interval': '7', 'override/svc/b': '3' });
    fs.symlinkSync(path.join(root, 'v1'), path.join(root, 'current'));
    const link = path.join(root, 'current');
    const r = runtime(
      { layers: [staticLayer('base', { a: 1, b: 1, c: 1 }), diskLayer('root', link, 'envoy'), diskLayer('override', link, 'override', true), adminLayer()] },
      { serviceCluster: 'svc', watch: false },
    );
    const s = r.snapshot();
    assert.equal(s.getInteger('a', 0), 2);
    assert.equal(s.getInteger('b', 0), 3);
    assert.equal(s.getInteger('c', 0), 1);
    assert.equal(s.getInteger('health_check.min_interval', 0), 7, 'nested directories join with dots');
    r.mergeAdminValues([['c', '9']]);
    assert.equal(r.snapshot().getInteger('c', 0), 9);
    assert.equal(s.getInteger('c', 0), 1, 'an old snapshot does not change');
    r.mergeAdminValues([['c', '']]);
    assert.equal(r.snapshot().getInteger('c', 0), 1, 'an empty value removes the override');
  });

  it('dumps layers and per-layer values like Envoy\'s GET /runtime', () => {
    const r = runtime({ layers: [staticLayer('base', { k: 'one', only: 'x' }), adminLayer('admin')] }, { watch: false });
    r.mergeAdminValues([['k', 'two']]);
    assert.deepEqual(r.dump(), {
      layers: ['base', 'admin'],
      entries: {
        k: { layer_values: ['one', 'two'], final_value: 'two' },
        only: { layer_values: ['x', ''], final_value: 'x' },
      },
    });
  });

  it('leaves out a disk layer whose directory does not exist', () => {
    const r = runtime({ layers: [diskLayer('disk', path.join(tmp(), 'nope')), adminLayer()] }, { watch: false });
    assert.deepEqual(r.dump().layers, ['admin']);
  });

  it('refuses admin overrides without an admin layer; gives one when layered_runtime is absent', () => {
    const r = runtime({ layers: [staticLayer('base', {})] }, { watch: false });
    assert.throws(() => r.mergeAdminValues([['a', '1']]), NoAdminLayerError);
    const d = runtime(undefined, { watch: false });
    d.mergeAdminValues([['a', '1']]);
    assert.equal(d.snapshot().getInteger('a', 0), 1);
  });

  it('counts runtime stats', () => {
    const stats = new StatsStore();
    const r = runtime({ layers: [staticLayer('base', { a: 1, b: 2 }), adminLayer()] }, { watch: false, stats });
    r.mergeAdminValues([['c', '3']]);
    const text = formatStatsText(stats.snapshot());
    assert.match(text, /^runtime\.num_keys: 3$/m);
    assert.match(text, /^runtime\.num_layers: 2$/m);
    assert.match(text, /^runtime\.admin_overrides_active: 1$/m);
    assert.match(text, /^runtime\.load_success: 2$/m);
  });

  it('reloads when the symlink root is swapped (fs.watch on its directory)', async () => {
    const root = tmp();
    tree(path.join(root, 'v1'), { 'fault/http/abort/abort_percent': '100' });
    tree(path.join(root, 'v2'), { 'fault/http/abort/abort_percent': '0' });
    const link = path.join(root, 'current');
    fs.symlinkSync(path.join(root, 'v1'), link);
    const r = runtime({ layers: [diskLayer('disk', link)] });
    let updates = 0;
    r.onUpdate(() => updates++);
    assert.equal(r.snapshot().getInteger('fault.http.abort.abort_percent', -1), 100);
    swap(link, path.join(root, 'v2'));
    await until(() => r.snapshot().getInteger('fault.http.abort.abort_percent', -1) === 0, 'the swapped value');
    assert.ok(updates >= 1);
    // a rename of some other file in that directory is not a swap
    const before = updates;
    fs.writeFileSync(path.join(root, 'unrelated.tmp'), 'x');
    fs.renameSync(path.join(root, 'unrelated.tmp'), path.join(root, 'unrelated'));
    tree(path.join(root, 'v3'), { x: '5' });
    swap(link, path.join(root, 'v3'));
    await until(() => r.snapshot().getInteger('x', 0) === 5, 'the second swap');
    assert.equal(updates, before + 1, 'only the swap reloaded');
  });

  describe('without fs.watch (poll fallback, fake timers)', () => {
    afterEach(() => mock.timers.reset());

    it('polls the link target and reloads when it changes', () => {
      mock.timers.enable({ apis: ['setInterval', 'setImmediate'] });
      const root = tmp();
      tree(path.join(root, 'v1'), { k: '1' });
      tree(path.join(root, 'v2'), { k: '2' });
      const link = path.join(root, 'current');
      fs.symlinkSync(path.join(root, 'v1'), link);
      const r = runtime({ layers: [diskLayer('disk', link)] }, { useFsWatch: false, pollMs: 500 });
      let updates = 0;
      r.onUpdate(() => updates++);
      mock.timers.tick(1500);
      assert.equal(updates, 0, 'no change, no reload');
      swap(link, path.join(root, 'v2'));
      mock.timers.tick(499);
      assert.equal(r.snapshot().getInteger('k', 0), 1, 'not before the next poll');
      mock.timers.tick(1);
      assert.equal(r.snapshot().getInteger('k', 0), 2);
      assert.equal(updates, 1);
      mock.timers.tick(2000);
      assert.equal(updates, 1, 'one swap, one reload');
    });

    it('stops polling on dispose', () => {
      mock.timers.enable({ apis: ['setInterval', 'setImmediate'] });
      const root = tmp();
      tree(path.join(root, 'v1'), { k: '1' });
      tree(path.join(root, 'v2'), { k: '2' });
      const link = path.join(root, 'current');
      fs.symlinkSync(path.join(root, 'v1'), link);
      const r = runtime({ layers: [diskLayer('disk', link)] }, { useFsWatch: false, pollMs: 10 });
      r.dispose();
      swap(link, path.join(root, 'v2'));
      mock.timers.tick(1000);
      assert.equal(r.snapshot().getInteger('k', 0), 1);
    });

    it('falls back to polling when the link\'s directory does not exist yet', () => {
      mock.timers.enable({ apis: ['setInterval', 'setImmediate'] });
      const root = tmp();
      const link = path.join(root, 'later', 'current');
      const r = runtime({ layers: [diskLayer('disk', link), adminLayer()] }, { pollMs: 100 });
      assert.deepEqual(r.dump().layers, ['admin']);
      tree(path.join(root, 'v1'), { k: '4' });
      fs.mkdirSync(path.dirname(link));
      fs.symlinkSync(path.join(root, 'v1'), link);
      mock.timers.tick(100);
      assert.equal(r.snapshot().getInteger('k', 0), 4);
      assert.deepEqual(r.dump().layers, ['disk', 'admin']);
    });
  });
});
