// Router: public entry points of the compiled route table (types live in types.ts).
export { compileRouteTable, tryCompileRouteTable, type CompileOptions } from './route-table.js';
export { RouteCompileError } from './compile-errors.js';
export { splitPath } from './path.js';
export { EMPTY_MUTATION, compileHeaderMutation, chainMutations } from './header-mutation.js';
export { compileRetryPolicy } from './retry.js';
export { isGrpcContentType } from './route-matcher.js';
