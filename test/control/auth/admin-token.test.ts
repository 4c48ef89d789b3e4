// Tests for the admin token file: created with mode 0600 on first start, reused after, a loose mode tightened, an empty file refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureAdminToken } from '../../../src/control/auth/admin-token.js';

test('created once (mode 0600, 256 bits), then reused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-admin-'));
  try {
    const a = await ensureAdminToken(path.join(dir, 'data'));
    assert.equal(a.path, path.join(dir, 'data', 'admin-token'));
    assert.equal(fs.statSync(a.path).mode & 0o777, 0o600);
    assert.match(a.token, /^[A-Za-z0-9_-]{43}$/);
    const b = await ensureAdminToken(path.join(dir, 'data'));
    assert.equal(b.token, a.token);
    fs.chmodSync(a.path, 0o644);
    await ensureAdminToken(path.join(dir, 'data'));
    assert.equal(fs.statSync(a.path).mode & 0o777, 0o600);
    fs.writeFileSync(a.path, '\n');
    await assert.rejects(ensureAdminToken(path.join(dir, 'data')), /empty/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
