// Router compile stage: request/response header add/remove lists compiled into HeaderMutations applied in Envoy's order.
import type { HeaderAppendAction, HeaderValueOption } from '../config/types.js';
import type { HeaderFormatContext, HeaderMap, HeaderMutation } from './types.js';
import type { Errors } from './compile-errors.js';
import { HeaderValueFormatter } from './header-format.js';

/** The shared no-op mutation; `empty` lets callers skip it. */
export const EMPTY_MUTATION: HeaderMutation = Object.freeze({
  empty: true,
  apply(): void {},
});

const APPEND = 0;
const ADD_IF_ABSENT = 1;
const OVERWRITE_OR_ADD = 2;
const OVERWRITE_IF_EXISTS = 3;

function actionCode(a: HeaderAppendAction): number {
  switch (a) {
    case 'ADD_IF_ABSENT':
      return ADD_IF_ABSENT;
    case 'OVERWRITE_IF_EXISTS_OR_ADD':
      return OVERWRITE_OR_ADD;
    case 'OVERWRITE_IF_EXISTS':
      return OVERWRITE_IF_EXISTS;
    default:
      return APPEND;
  }
}

interface AddEntry {
  readonly key: string;
  readonly value: HeaderValueFormatter;
  readonly action: number;
  readonly keepEmpty: boolean;
}

function present(v: string | string[] | undefined): boolean {
  return v !== undefined && (typeof v === 'string' || v.length > 0);
}

/** One level's lists (route, virtual host, route configuration or weighted cluster): removals, then additions. */
class ListMutation implements HeaderMutation {
  readonly empty = false;
  constructor(
    private readonly remove: readonly string[],
    private readonly add: readonly AddEntry[],
  ) {}

  apply(headers: HeaderMap, ctx: HeaderFormatContext): void {
    // Envoy removes first so "remove then add" replaces a header.
    for (let i = 0; i < this.remove.length; i++) {
      const k = this.remove[i]!;
      if (headers[k] !== undefined) delete headers[k];
    }
    for (let i = 0; i < this.add.length; i++) {
      const e = this.add[i]!;
      const value = e.value.constant ?? e.value.format(ctx);
      // Without keep_empty_value an empty result (e.g. %REQ(x)% of an absent header) adds nothing.
      if (value === '' && !e.keepEmpty) continue;
      addHeader(headers, e.key, value, e.action);
    }
  }
}

function addHeader(headers: HeaderMap, key: string, value: string, action: number): void {
  const cur = headers[key];
  switch (action) {
    case APPEND:
      if (!present(cur)) headers[key] = value;
      else headers[key] = typeof cur === 'string' ? [cur, value] : [...cur!, value];
      break;
    case ADD_IF_ABSENT:
      if (!present(cur)) headers[key] = value;
      break;
    case OVERWRITE_OR_ADD:
      headers[key] = value;
      break;
    default:
      if (present(cur)) headers[key] = value;
  }
}

/** One HeaderValueOption's effect with an already formatted value (callers with their own formatter). */
export function applyHeaderOption(headers: HeaderMap, key: string, value: string, action: HeaderAppendAction, keepEmpty: boolean): void {
  if (value === '' && !keepEmpty) return;
  addHeader(headers, key, value, actionCode(action));
}

/** Several levels applied in sequence (most specific first by default, as Envoy). */
class ChainMutation implements HeaderMutation {
  readonly empty = false;
  constructor(private readonly parts: readonly HeaderMutation[]) {}
  apply(headers: HeaderMap, ctx: HeaderFormatContext): void {
    for (let i = 0; i < this.parts.length; i++) this.parts[i]!.apply(headers, ctx);
  }
}

export function compileHeaderMutation(
  add: readonly HeaderValueOption[],
  remove: readonly string[],
  path: string,
  addField: string,
  errs: Errors,
): HeaderMutation {
  if (add.length === 0 && remove.length === 0) return EMPTY_MUTATION;
  const entries = add.map((o, i) => ({
    key: o.header.key.toLowerCase(),
    value: new HeaderValueFormatter(o.header.value, `${path}.${addField}[${i}].header.value`, errs),
    action: actionCode(o.append_action),
    keepEmpty: o.keep_empty_value,
  }));
  return new ListMutation(
    remove.map((r) => r.toLowerCase()),
    entries,
  );
}

/** Chains mutations in the given order, dropping empty ones; returns EMPTY_MUTATION when nothing is left. */
export function chainMutations(parts: readonly HeaderMutation[]): HeaderMutation {
  const live = parts.filter((p) => !p.empty);
  if (live.length === 0) return EMPTY_MUTATION;
  return live.length === 1 ? live[0]! : new ChainMutation(live);
}
