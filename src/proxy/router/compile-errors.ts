// Router compile stage: collects every problem found while compiling a route table, so one error lists them all.
import type { ConfigError } from '../../common/result.js';

/** Thrown by compileRouteTable when the (already validated) config still cannot be compiled, e.g. a bad regex. */
export class RouteCompileError extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
    this.name = 'RouteCompileError';
    this.errors = errors;
  }
}

/** Error sink threaded through the compile functions; `path` is the dotted config path of the item. */
export type Errors = ConfigError[];
