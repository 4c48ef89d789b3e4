// Common: Envoy's CEL attribute expressions (access log filters, Telemetry accessLogging filters), parsed and evaluated
// by @bufbuild/cel with its RE2 engine. The library is loaded on first use: importing it costs ~100 ms that a proxy
// without a CEL filter should not pay.
import { createRequire } from 'node:module';

type CelModule = typeof import('@bufbuild/cel');
let loaded: CelModule | undefined;
function cel(): CelModule {
  return (loaded ??= createRequire(import.meta.url)('@bufbuild/cel') as CelModule);
}

/** The attribute roots Envoy's CEL environment defines (its "Attributes" reference). */
export const CEL_ROOTS: readonly string[] = ['request', 'response', 'connection', 'upstream', 'source', 'destination', 'xds', 'metadata', 'filter_state'];

/** Longer expressions are refused: the parser recurses per nesting level. */
export const MAX_CEL_LENGTH = 4096;

/** The parts of cel.expr.Expr the identifier walk reads. */
interface ExprNode {
  exprKind: { case: string | undefined; value?: unknown };
}
type Comprehension = { iterVar: string; iterVar2?: string; accuVar: string; iterRange?: ExprNode; accuInit?: ExprNode; loopCondition?: ExprNode; loopStep?: ExprNode; result?: ExprNode };

/** Names the expression reads that are neither attribute roots nor variables a macro binds. */
function unknownIdents(e: ExprNode | undefined, bound: ReadonlySet<string>, out: Set<string>): void {
  if (e === undefined) return;
  const k = e.exprKind;
  switch (k.case) {
    case 'identExpr': {
      const name = (k.value as { name: string }).name;
      if (!bound.has(name) && !CEL_ROOTS.includes(name)) out.add(name);
      return;
    }
    case 'selectExpr':
      return unknownIdents((k.value as { operand?: ExprNode }).operand, bound, out);
    case 'callExpr': {
      const c = k.value as { target?: ExprNode; args: ExprNode[] };
      unknownIdents(c.target, bound, out);
      for (const a of c.args) unknownIdents(a, bound, out);
      return;
    }
    case 'listExpr':
      for (const x of (k.value as { elements: ExprNode[] }).elements) unknownIdents(x, bound, out);
      return;
    case 'structExpr':
      for (const x of (k.value as { entries: { value?: ExprNode; keyKind: { case: string | undefined; value?: unknown } }[] }).entries) {
        if (x.keyKind.case === 'mapKey') unknownIdents(x.keyKind.value as ExprNode, bound, out);
        unknownIdents(x.value, bound, out);
      }
      return;
    case 'comprehensionExpr': {
      const c = k.value as Comprehension;
      unknownIdents(c.iterRange, bound, out);
      const inner = new Set([...bound, c.iterVar, c.accuVar, ...(c.iterVar2 ? [c.iterVar2] : [])]);
      for (const x of [c.accuInit, c.loopCondition, c.loopStep, c.result]) unknownIdents(x, inner, out);
      return;
    }
    default:
      return;
  }
}

function parsed(expression: string): ReturnType<CelModule['parse']> | string {
  if (expression.trim() === '') return 'empty CEL expression';
  if (expression.length > MAX_CEL_LENGTH) return `CEL expression longer than ${MAX_CEL_LENGTH} characters`;
  let p: ReturnType<CelModule['parse']>;
  try {
    p = cel().parse(expression);
  } catch (e) {
    return `invalid CEL expression: ${e instanceof Error ? e.message : String(e)}`;
  }
  const unknown = new Set<string>();
  unknownIdents(p.expr as unknown as ExprNode, new Set(), unknown);
  if (unknown.size > 0) return `CEL expression reads ${[...unknown].map((n) => `"${n}"`).join(', ')}, which ${unknown.size === 1 ? 'is not an attribute' : 'are not attributes'}; attributes start with ${CEL_ROOTS.join(', ')}`;
  return p;
}

/** Why `expression` cannot be used as an attribute expression, or undefined when it can. */
export function celExpressionError(expression: string): string | undefined {
  const p = parsed(expression);
  return typeof p === 'string' ? p : undefined;
}

/** A value bound to an attribute root (Maps of strings, bigints, booleans, nested Maps). */
export type CelBinding = Map<string, unknown>;

/**
 * Compiles once; the result evaluates the expression against attribute roots and is true only for a boolean true
 * (an evaluation error — a missing header, a type mismatch — is false, as Envoy's CEL access log filter treats it).
 */
export function compileCelPredicate(expression: string): (roots: Record<string, CelBinding>) => boolean {
  const p = parsed(expression);
  if (typeof p === 'string') throw new Error(p);
  const { plan, celEnv } = cel();
  const run = plan(celEnv(), p);
  return (roots) => {
    try {
      return run(roots as never) === true;
    } catch {
      return false;
    }
  };
}
