// Runtime: reads a disk layer — a directory tree where each file is one key (path segments joined by '.').
import fs from 'node:fs';
import path from 'node:path';
import { parseEntry, type RuntimeEntry } from './entry.js';

/** Envoy stops walking deeper than this (a symlink loop would otherwise never end). */
const MAX_DEPTH = 16;

/** A file's value: lines starting with '#' are comments, blank lines are dropped, trailing space is trimmed. */
export function fileValue(text: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join('\n')
    .trimEnd();
}

/**
 * The values under `dir`, or undefined when `dir` does not exist (the layer is then left out, as in Envoy).
 * Throws when the tree cannot be read; the caller leaves the layer out and counts a load error.
 */
export function readDiskLayer(dir: string): Map<string, RuntimeEntry> | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return undefined;
  }
  if (!st.isDirectory()) return undefined;
  const out = new Map<string, RuntimeEntry>();
  const walk = (at: string, prefix: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new Error(`runtime: walk recursion depth exceeded ${MAX_DEPTH} at ${at}`);
    for (const name of fs.readdirSync(at).sort()) {
      const full = path.join(at, name);
      const key = prefix === '' ? name : `${prefix}.${name}`;
      // symlinks are followed: Kubernetes ConfigMap volumes are made of them
      const s = fs.statSync(full, { throwIfNoEntry: false });
      if (s === undefined) continue; // a dangling link
      if (s.isDirectory()) walk(full, key, depth + 1);
      else if (s.isFile()) out.set(key, parseEntry(fileValue(fs.readFileSync(full, 'utf8'))));
    }
  };
  walk(dir, '', 1);
  return out;
}
