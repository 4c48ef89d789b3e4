// CLI: `trellis token create --namespace NS --service-account SA [--ttl 1h]` — asks the control plane (admin only) to sign an identity token; prints it.
import type { Command } from 'commander';
import { parseDuration } from '../api/duration.js';
import { ApiClient, UsageError, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { outputOption, toJson, toYaml } from './output.js';
import { guarded } from './run.js';

interface TokenCreateFlags extends ServerFlags {
  namespace?: string;
  serviceAccount?: string;
  ttl: string;
  output?: 'json' | 'yaml';
}

export interface TokenResponse {
  token: string;
  subject: string;
  expiresAt: string;
}

/** `1h`, `30m`, `90s` (whole seconds) to seconds; a usage error otherwise. */
export function ttlSeconds(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000 || ms % 1000 !== 0) throw new UsageError(`--ttl must be a duration of whole seconds like "1h", "30m" or "90s", got "${text}"`);
  return ms / 1000;
}

export function registerTokenCommand(program: Command, io: Io): void {
  const token = program.command('token').description('identity tokens signed by the control plane');
  withServerFlags(
    token
      .command('create')
      .description('sign a token (JWT, ES256) proving a namespace/service account identity; needs the admin credential')
      .option('--namespace <ns>', 'namespace of the identity')
      .option('--service-account <sa>', 'service account of the identity')
      .option('--ttl <duration>', 'how long the token is valid', '1h')
      .addOption(outputOption(['json', 'yaml'])),
  ).action(guarded(io, (flags: TokenCreateFlags) => create(flags, io)));
}

async function create(flags: TokenCreateFlags, io: Io): Promise<void> {
  if (flags.namespace === undefined || flags.serviceAccount === undefined) throw new UsageError('token create needs --namespace and --service-account');
  const res = await new ApiClient(flags, io).post<TokenResponse>('/api/v1/tokens', {
    namespace: flags.namespace,
    serviceAccount: flags.serviceAccount,
    ttlSeconds: ttlSeconds(flags.ttl),
  });
  if (flags.output === 'json') return io.out(toJson(res));
  if (flags.output === 'yaml') return io.out(toYaml(res));
  // the token alone on stdout, so `$(trellis token create …)` captures it; what it proves goes to stderr
  io.out(`${res.token}\n`);
  io.err(`token for ${res.subject}, expires ${res.expiresAt}\n`);
}
