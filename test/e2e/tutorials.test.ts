// E2E: the tutorials in docs/tutorials/ are tests. One `trellis demo` runs; each page's `sh` blocks run in order, as
// a reader would paste them into a second terminal beside the demo, and each `output` block after a `sh` block must
// appear in what that command prints (every non-empty line, trimmed, equal to some line of its stdout; retried for
// up to 20 s while the config reaches the proxies). A page must undo its own changes: after it, the mesh config must
// be what it was before it (checked with `trellis diff --exit-code`, never cleaned up here).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, waitFor } from './harness.js';
import { portFree } from '../../src/common/port-in-use.js';

const REPO = path.resolve(path.dirname(CLI), '../../..');
const TUTORIALS = path.join(REPO, 'docs', 'tutorials');
const RETRY_MS = 20_000;
const RUN_TIMEOUT_MS = 60_000;

interface Block {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  script: string;
  /** The lines the command must print, when an `output` block follows it. */
  expect?: string[];
}

/** The page's `sh` blocks, each with the `output` block that follows it (the next fenced block), if any. */
function parsePage(text: string, name: string): Block[] {
  const lines = text.split('\n');
  const fences: { line: number; info: string; body: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*([\w-]*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j]!.startsWith(open[1]!) && lines[j]!.trim() === open[1])) body.push(lines[j++]!);
    if (j >= lines.length) throw new Error(`${name}:${i + 1}: the fenced block is never closed`);
    fences.push({ line: i + 1, info: open[2]!, body: body.join('\n') });
    i = j;
  }
  const blocks: Block[] = [];
  for (let k = 0; k < fences.length; k++) {
    const f = fences[k]!;
    if (f.info === 'output') {
      if (k === 0 || fences[k - 1]!.info !== 'sh') throw new Error(`${name}:${f.line}: an output block must follow a sh block`);
      blocks[blocks.length - 1]!.expect = f.body.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    } else if (f.info === 'sh') {
      blocks.push({ line: f.line, script: f.body });
    }
  }
  return blocks;
}

/** A base whose demo ports (N+12, N+14, N+80, N+100…N+169) are free now, below the ephemeral range as the demo's are. */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 120) * 100;
    const offsets = [12, 14, 80, ...Array.from({ length: 70 }, (_, i) => 100 + i)];
    const free = await Promise.all(offsets.map((o) => portFree('127.0.0.1', base + o)));
    if (free.every(Boolean)) return base;
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, timeout: RUN_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1, stdout, stderr }),
    );
  });
}

/** The expected lines the command did not print. */
function missing(expect: readonly string[], stdout: string): string[] {
  const got = new Set(stdout.split('\n').map((l) => l.trim()));
  return expect.filter((l) => !got.has(l));
}

const pages = fs.existsSync(TUTORIALS) ? fs.readdirSync(TUTORIALS).filter((f) => f.endsWith('.md') && f !== 'README.md').sort() : [];

describe('docs/tutorials run against trellis demo', { timeout: 480_000 }, () => {
  let dir = '';
  let base = 0;
  let demo: ChildProcess | undefined;
  let demoOut = '';
  let exited: Promise<void> = Promise.resolve();
  let env: NodeJS.ProcessEnv = {};

  /** Starts the demo on `base` and waits for its banner; undefined, or why it stopped (its output and logs). */
  async function startDemo(): Promise<string | undefined> {
    demoOut = '';
    const proc = spawn(process.execPath, [CLI, 'demo', '--port-base', String(base), '--rps', '0', '--data-dir', path.join(dir, '.trellis')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo = proc;
    proc.stdout!.on('data', (d: Buffer) => (demoOut += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (demoOut += d.toString()));
    exited = new Promise((r) => proc.once('exit', () => r()));
    await waitFor(() => proc.exitCode !== null || /Ctrl-C stops everything/.test(demoOut), 90_000, 'the demo banner', 100);
    if (proc.exitCode === null) return undefined;
    await exited;
    const logs = path.join(dir, '.trellis', 'logs');
    const tails = fs.existsSync(logs)
      ? fs.readdirSync(logs).map((f) => `--- ${f} (last lines)\n${fs.readFileSync(path.join(logs, f), 'utf8').trimEnd().split('\n').slice(-15).join('\n')}`)
      : [];
    return [`exit status ${proc.exitCode}`, demoOut, ...tails].join('\n');
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-tutorials-'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'trellis'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    // another demo on this host may take a port between the probe and the bind: then try another base
    for (let attempt = 1; ; attempt++) {
      base = await freeBase();
      const started = await startDemo();
      if (started === undefined) break;
      if (attempt === 3 || !/already in use|EADDRINUSE/.test(started)) assert.fail(`trellis demo did not start:\n${started}`);
      fs.rmSync(path.join(dir, '.trellis'), { recursive: true, force: true });
    }
    // the reader's second terminal: `trellis` on PATH, beside the demo's ./.trellis (its admin token), the API's address
    const { TRELLIS_TOKEN: _token, ...inherited } = process.env;
    env = { ...inherited, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, TRELLIS_SERVER: `http://127.0.0.1:${base + 14}` };
  });

  after(async () => {
    const proc = demo;
    if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) {
      const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      proc.kill('SIGINT');
      await exited;
      clearTimeout(killer);
    }
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has pages', () => assert.ok(pages.length > 0, `no pages in ${TUTORIALS}`));

  for (const page of pages) {
    it(page, async () => {
      const blocks = parsePage(fs.readFileSync(path.join(TUTORIALS, page), 'utf8'), page);
      assert.ok(blocks.length > 0, `${page} has no sh blocks`);
      const cwd = dir;
      const revision = async (): Promise<string> => {
        const r = await bash('trellis history --limit 1 -o json', cwd, env);
        assert.equal(r.code, 0, r.stderr);
        return String((JSON.parse(r.stdout) as { revision: number }[])[0]!.revision);
      };
      const start = await revision();
      for (const b of blocks) {
        const script = b.script.replaceAll('127.0.0.1:8080', `127.0.0.1:${base + 80}`).replaceAll('127.0.0.1:15014', `127.0.0.1:${base + 14}`);
        const where = `${page}:${b.line}:\n${b.script}\n`;
        if (b.expect === undefined) {
          const r = await bash(script, cwd, env);
          assert.equal(r.code, 0, `${where}exited with ${r.code}; it printed:\n${r.stdout}${r.stderr}`);
          continue;
        }
        const deadline = Date.now() + RETRY_MS;
        let r: Run;
        let lost: string[];
        for (;;) {
          r = await bash(script, cwd, env);
          lost = missing(b.expect, r.stdout);
          if ((r.code === 0 && lost.length === 0) || Date.now() > deadline) break;
          await new Promise((res) => setTimeout(res, 500));
        }
        assert.ok(
          r.code === 0 && lost.length === 0,
          `${where}should print:\n${b.expect.join('\n')}\n` +
            `${lost.length > 0 ? `but never printed:\n${lost.join('\n')}\n` : ''}it exited with ${r.code}; the last try printed:\n${r.stdout}${r.stderr !== '' ? `(stderr)\n${r.stderr}` : ''}`,
        );
      }
      // the page's own undo steps restored the config it started from
      const d = await bash(`trellis diff --exit-code ${start}`, cwd, env);
      assert.equal(d.code, 0, `${page} leaves the mesh changed since revision ${start}:\n${d.stdout}${d.stderr}`);
    });
  }
});
