// CLI: reads `-f FILE|DIR|-` inputs into one multi-document text (directories: *.yaml/*.yml/*.json, sorted) and checks them locally before anything is sent.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadResources } from '../api/load.js';
import type { MeshResource } from '../api/types.js';
import type { ConfigError } from '../common/result.js';
import { UsageError } from './client.js';
import type { Io } from './io.js';

export interface Source {
  /** File path as the user gave it (or joined under the directory), 'stdin' for `-`. */
  name: string;
  text: string;
}

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** Local files failed to parse or validate; every error carries its file and line. */
export class InvalidFiles extends Error {
  constructor(readonly errors: ConfigError[]) {
    super(`${errors.length} error${errors.length === 1 ? '' : 's'} in the input`);
  }
}

/** `-f` may repeat; each is a file, a directory (not recursive, like kubectl without -R) or `-` for stdin. */
export async function readSources(inputs: readonly string[], io: Io): Promise<Source[]> {
  if (inputs.length === 0) throw new UsageError('no input: give -f FILE, -f DIR or -f -');
  const out: Source[] = [];
  for (const input of inputs) {
    if (input === '-') {
      out.push({ name: 'stdin', text: await io.readStdin() });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(input).isDirectory();
    } catch {
      throw new UsageError(`cannot read "${input}": no such file or directory`);
    }
    if (!isDir) {
      out.push({ name: input, text: readFileSync(input, 'utf8') });
      continue;
    }
    const names = readdirSync(input).filter((n) => CONFIG_FILE.test(n)).sort();
    if (names.length === 0) throw new UsageError(`directory "${input}" has no *.yaml, *.yml or *.json files`);
    for (const n of names) {
      const file = path.join(input, n);
      if (statSync(file).isFile()) out.push({ name: file, text: readFileSync(file, 'utf8') });
    }
  }
  return out;
}

/** All sources as one YAML stream, so a whole directory goes to the server as one all-or-nothing request. */
export function joinSources(sources: readonly Source[]): string {
  return sources.map((s) => s.text.replace(/\s+$/, '')).join('\n---\n') + '\n';
}

/** Parse and validate each source on its own, so errors name the user's file and line rather than a position in the joined text. */
export function loadSources(sources: readonly Source[]): MeshResource[] {
  const resources: MeshResource[] = [];
  const errors: ConfigError[] = [];
  for (const s of sources) {
    const r = loadResources(s.text, s.name);
    if (r.ok) resources.push(...r.value);
    else errors.push(...r.errors);
  }
  if (errors.length > 0) throw new InvalidFiles(errors);
  if (resources.length === 0) throw new UsageError(`no resources found in ${sources.map((s) => s.name).join(', ')}`);
  return resources;
}
