// CLI: `trellis analyze [-f FILE|DIR|-] [--offline] [-o json|yaml]` — istioctl-analyze lines from the control plane, or from the files alone when offline.
import type { Command } from 'commander';
import { analyze as analyzeLocally } from '../api/analyze.js';
import { parseDocuments } from '../api/parse.js';
import type { MeshResource } from '../api/types.js';
import type { AnalyzeMessage, AnalyzeResponse } from './api-types.js';
import { ApiClient, Unreachable, UsageError, withServerFlags, type ServerFlags } from './client.js';
import { joinSources, readSources, type Source } from './files.js';
import type { Io } from './io.js';
import { outputOption, toJson, toYaml } from './output.js';
import { guarded } from './run.js';
import { parseMeshConfig, type MeshConfig } from '../api/mesh-config.js';
import { formatErrors } from '../common/result.js';
import fs from 'node:fs/promises';

async function readMeshConfig(file: string): Promise<MeshConfig> {
  const parsed = parseMeshConfig(await fs.readFile(file, 'utf8'), file);
  if (!parsed.ok) throw new UsageError(`invalid mesh config:\n${formatErrors(parsed.errors)}`);
  return parsed.value;
}

interface AnalyzeFlags extends ServerFlags {
  filename: string[];
  offline?: boolean;
  meshConfig?: string;
  output?: 'json' | 'yaml';
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerAnalyzeCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('analyze')
      .description('report problems in the mesh config (Istio IST0xxx codes); exit 1 on any Error')
      .option('-f, --filename <path>', 'file, directory or - to analyze with (or, offline, instead of) the live config; repeatable', collect, [])
      .option('--offline', 'analyze the files alone, without a control plane')
      .option('--mesh-config <file>', 'offline: the Istio MeshConfig the control plane runs with (CUSTOM policy providers)')
      .addOption(outputOption(['json', 'yaml'])),
  ).action(guarded(io, (flags: AnalyzeFlags) => analyze(flags, io)));
}

/**
 * The files on their own: envelope problems (bad YAML, unknown kind) become IST0106 messages like the schema errors
 * analyze() itself reports, so one list (and one exit status) covers everything wrong with the input.
 */
export function analyzeSources(sources: readonly Source[], mesh?: MeshConfig): AnalyzeMessage[] {
  const resources: MeshResource[] = [];
  const out: AnalyzeMessage[] = [];
  for (const s of sources) {
    const parsed = parseDocuments(s.text, s.name);
    resources.push(...parsed.resources);
    for (const e of parsed.errors) {
      out.push({ code: 'IST0106', name: 'SchemaValidationError', level: 'Error', resource: e.resource, path: e.field, message: `Schema validation error: ${e.path}: ${e.message}` });
    }
  }
  return [...out, ...analyzeLocally(resources, undefined, mesh)];
}

export function formatAnalyzeMessage(m: AnalyzeMessage): string {
  return `${m.level} [${m.code}] (${m.resource}) ${m.message}`;
}

async function analyze(flags: AnalyzeFlags, io: Io): Promise<void> {
  if (flags.offline === true && flags.filename.length === 0) throw new UsageError('--offline needs the files to analyze: -f FILE|DIR|-');
  const sources = flags.filename.length > 0 ? await readSources(flags.filename, io) : [];
  const files = sources.map((s) => s.name).join(', ');
  let messages: AnalyzeMessage[];
  let target: string;
  const mesh = flags.meshConfig !== undefined ? await readMeshConfig(flags.meshConfig) : undefined;
  if (flags.offline === true) {
    messages = analyzeSources(sources, mesh);
    target = files;
  } else {
    const client = new ApiClient(flags, io);
    try {
      const res = await client.post<AnalyzeResponse>('/api/v1/analyze', sources.length > 0 ? { text: joinSources(sources) } : {});
      messages = res.messages;
      target = sources.length > 0 ? `the mesh config with ${files}` : 'the mesh config';
    } catch (err) {
      // with files in hand a missing control plane need not stop the check (istioctl analyze --use-kube=false)
      if (!(err instanceof Unreachable) || sources.length === 0) throw err;
      io.err(`note: ${err.message.split(';')[0] ?? err.message}; analyzing the files alone\n`);
      messages = analyzeSources(sources, mesh);
      target = files;
    }
  }
  if (flags.output === 'json') io.out(toJson(messages));
  else if (flags.output === 'yaml') io.out(toYaml(messages));
  else if (messages.length === 0) io.out(`\u2714 No validation issues found when analyzing ${target}.\n`);
  else for (const m of messages) io.out(`${formatAnalyzeMessage(m)}\n`);
  // istioctl analyze fails on Error-level messages only; warnings alone still exit 0
  if (messages.some((m) => m.level === 'Error')) io.fail();
}
