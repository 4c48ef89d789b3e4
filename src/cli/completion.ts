// CLI: `trellis completion bash|zsh` — a shell completion script made from the program's own verbs and flags, the
// resource kinds `get`/`delete` take (kubectl's names) and the config types of `proxy-config`.
import type { Command } from 'commander';
import { kindNames } from './kinds.js';

const CONFIG_TYPES = ['listeners', 'routes', 'clusters', 'endpoints', 'all'];
const KIND_VERBS = ['get', 'delete'];
const CONFIG_VERBS = ['proxy-config', 'pc'];

/** Shell words only: verb, flag and kind names are [a-z0-9.-], anything else would be a quoting hazard. */
function words(list: readonly string[]): string {
  return list.filter((w) => /^[A-Za-z0-9._-]+$/.test(w)).join(' ');
}

/** The bash script (zsh runs it through bashcompinit). */
export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const verbs = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  const flagCases = program.commands
    .map((c) => {
      const flags = c.options.map((o) => o.long).filter((l): l is string => l !== undefined);
      return `    ${[c.name(), ...c.aliases()].join('|')}) flags="${words([...flags, '--help'])}" ;;`;
    })
    .join('\n');
  const script = `# trellis completion (${shell}): eval "$(trellis completion ${shell})"
_trellis() {
  local cur=\${COMP_WORDS[COMP_CWORD]} verb=\${COMP_WORDS[1]} flags=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${words(verbs)}" -- "$cur"))
    return
  fi
  case "$verb" in
${flagCases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "$verb" in
      ${KIND_VERBS.join('|')}) COMPREPLY=($(compgen -W "${words(kindNames())}" -- "$cur")) ;;
      ${CONFIG_VERBS.join('|')}) COMPREPLY=($(compgen -W "${words(CONFIG_TYPES)}" -- "$cur")) ;;
    esac
  fi
}
complete -F _trellis trellis
`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${script}` : script;
}
