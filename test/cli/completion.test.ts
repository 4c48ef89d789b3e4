// Tests for `trellis completion`: the script it prints completes verbs, a verb's own flags, kind names and
// proxy-config types when real bash runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CLI } from './harness.js';

/** What bash offers for `line` (the word under the cursor is the last one) with the script loaded. */
function complete(script: string, line: string[]): string[] {
  const words = line.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _trellis; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '');
}

test('bash: verbs, flags of the verb typed, kinds after get, config types after pc', () => {
  const script = execFileSync(process.execPath, [CLI, 'completion', 'bash'], { encoding: 'utf8' });
  assert.deepEqual(complete(script, ['trellis', 'pro']), ['proxy', 'proxy-status', 'proxy-config']);
  assert.deepEqual(complete(script, ['trellis', 'apply', '--dr']), ['--dry-run']);
  assert.deepEqual(complete(script, ['trellis', 'get', '--dr']), [], 'get has no --dry-run');
  assert.ok(complete(script, ['trellis', 'get', 'virtual']).includes('virtualservices'));
  assert.deepEqual(complete(script, ['trellis', 'get', 'deploy']), ['deployment', 'deployments', 'deploy', 'deployment.apps', 'deployments.apps']);
  assert.deepEqual(complete(script, ['trellis', 'pc', 'cl']), ['clusters']);
});

test('zsh gets the same script through bashcompinit; another shell is refused', () => {
  const zsh = execFileSync(process.execPath, [CLI, 'completion', 'zsh'], { encoding: 'utf8' });
  assert.match(zsh, /^autoload -U \+X bashcompinit && bashcompinit\n/);
  assert.throws(() => execFileSync(process.execPath, [CLI, 'completion', 'fish'], { encoding: 'utf8', stdio: 'pipe' }), /shell must be bash or zsh/);
});
