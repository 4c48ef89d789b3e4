// Translate stage: rewrites every filter chain of a finished listener (its filter_chains and default_filter_chain), for
// the passes that add to all chains whatever builder made them (security filters, access logs).
import type { Json, JsonValue } from './generator.js';

export function isJson(v: JsonValue | undefined): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mapFilterChains(listener: Json, f: (chain: Json) => Json): Json {
  const out: Json = { ...listener };
  if (Array.isArray(listener.filter_chains)) out.filter_chains = listener.filter_chains.filter(isJson).map(f);
  if (isJson(listener.default_filter_chain)) out.default_filter_chain = f(listener.default_filter_chain);
  return out;
}
