// Tests for cli/client's flag sets: --author (withWriteFlags) is offered by exactly the verbs that write a revision.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { processIo } from '../../src/cli/io.js';
import { registerMeshCommands } from '../../src/cli/mesh.js';

/** Every command path (`token create`, …) with its long option names. */
function commandOptions(cmd: Command, prefix = ''): [string, string[]][] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return [[name, c.options.map((o) => o.long ?? '')] as [string, string[]], ...commandOptions(c, `${name} `)];
  });
}

test('only apply, delete and rollback offer --author; every other mesh verb does not', () => {
  const program = new Command();
  registerMeshCommands(program, processIo());
  const all = commandOptions(program);
  assert.ok(all.length > 10, 'the mesh verbs are registered');
  const withAuthor = all.filter(([, longs]) => longs.includes('--author')).map(([name]) => name);
  assert.deepEqual(withAuthor.sort(), ['apply', 'delete', 'rollback']);
  // the read-only verbs the issue names are among those without it
  for (const verb of ['get', 'history', 'diff', 'analyze', 'proxy-status', 'proxy-config', 'tap', 'top']) {
    assert.ok(all.some(([name]) => name === verb), `${verb} is registered`);
  }
});
