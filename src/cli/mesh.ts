// CLI: registers the control-plane verbs (apply, get, delete, history, rollback, dashboard, diff, analyze, proxy-status, proxy-config, explain, ca, token, tap, top) on the `trellis` program.
import type { Command } from 'commander';
import { registerAnalyzeCommand } from './analyze.js';
import { registerApplyCommand } from './apply.js';
import { registerCaCommand } from './ca.js';
import { registerDashboardCommand } from './dashboard.js';
import { registerDeleteCommand } from './delete.js';
import { registerDiffCommand } from './diff.js';
import { registerExplainCommand } from './explain/command.js';
import { registerGetCommand } from './get.js';
import { registerHistoryCommand } from './history.js';
import { processIo, type Io } from './io.js';
import { registerProxyConfigCommand } from './proxy-config.js';
import { registerProxyStatusCommand } from './proxy-status.js';
import { registerRollbackCommand } from './rollback.js';
import { registerTokenCommand } from './token.js';
import { registerTapCommand } from './tap.js';
import { registerTopCommand } from './metrics.js';

/** `io` is the process by default; tests pass their own to run verbs in-process and read what they print. */
export function registerMeshCommands(program: Command, io: Io = processIo()): void {
  registerApplyCommand(program, io);
  registerGetCommand(program, io);
  registerDeleteCommand(program, io);
  registerHistoryCommand(program, io);
  registerRollbackCommand(program, io);
  registerDashboardCommand(program, io);
  registerDiffCommand(program, io);
  registerAnalyzeCommand(program, io);
  registerProxyStatusCommand(program, io);
  registerProxyConfigCommand(program, io);
  registerExplainCommand(program, io);
  registerCaCommand(program, io);
  registerTokenCommand(program, io);
  registerTapCommand(program, io);
  registerTopCommand(program, io);
}
