// Router compile stage: the cluster specifier (cluster / weighted_clusters / cluster_header) compiled into a picker.
import type { RouteAction, ClusterWeight } from '../config/types.js';
import type { ClusterChoice, RouteRequest } from './types.js';
import type { Errors } from './compile-errors.js';
import { compileHeaderMutation } from './header-mutation.js';
import { firstHeader } from './header-value.js';

export interface ClusterPicker {
  choose(req: RouteRequest): ClusterChoice | undefined;
}

class FixedPicker implements ClusterPicker {
  constructor(private readonly choice: ClusterChoice) {}
  choose(): ClusterChoice {
    return this.choice;
  }
}

/** Weighted split: a draw in [0, total) lands in one cluster's cumulative range, so weights 1,2,3 give 1/6, 1/3, 1/2. */
class WeightedPicker implements ClusterPicker {
  private readonly upper: Float64Array;
  private readonly total: number;
  constructor(
    private readonly choices: readonly ClusterChoice[],
    weights: readonly number[],
    private readonly random: () => number,
  ) {
    this.upper = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => (this.upper[i] = sum += w));
    this.total = sum;
  }
  choose(): ClusterChoice | undefined {
    if (this.total <= 0) return undefined;
    const r = Math.floor(this.random() * this.total);
    for (let i = 0; i < this.upper.length; i++) if (r < this.upper[i]!) return this.choices[i];
    return this.choices[this.choices.length - 1];
  }
}

// Bounds the per-name cache so hostile header values cannot grow memory.
const HEADER_CACHE_MAX = 256;

/** cluster_header: the cluster named by a request header; absent or empty gives no cluster (Envoy answers 404). */
class HeaderPicker implements ClusterPicker {
  private readonly cache = new Map<string, ClusterChoice>();
  constructor(private readonly header: string) {}
  choose(req: RouteRequest): ClusterChoice | undefined {
    const v = firstHeader(req.headers, this.header);
    if (v === undefined || v === '') return undefined;
    let c = this.cache.get(v);
    if (c === undefined) {
      c = Object.freeze({ cluster: v });
      if (this.cache.size >= HEADER_CACHE_MAX) this.cache.clear();
      this.cache.set(v, c);
    }
    return c;
  }
}

function weightedChoice(cw: ClusterWeight, path: string, errs: Errors): ClusterChoice {
  const choice: ClusterChoice = {
    cluster: cw.name,
    requestHeaders: compileHeaderMutation(cw.request_headers_to_add, cw.request_headers_to_remove, path, 'request_headers_to_add', errs),
    responseHeaders: compileHeaderMutation(cw.response_headers_to_add, cw.response_headers_to_remove, path, 'response_headers_to_add', errs),
    ...(cw.host_rewrite_literal !== undefined ? { hostRewrite: cw.host_rewrite_literal } : {}),
  };
  return Object.freeze(choice);
}

export function compileClusterPicker(a: RouteAction, random: () => number, path: string, errs: Errors): ClusterPicker {
  const spec = a.cluster_specifier;
  switch (spec.kind) {
    case 'cluster':
      return new FixedPicker(Object.freeze({ cluster: spec.name }));
    case 'cluster_header':
      return new HeaderPicker(spec.header.toLowerCase());
    default: {
      const cs = spec.weighted.clusters;
      const choices = cs.map((c, i) => weightedChoice(c, `${path}.weighted_clusters.clusters[${i}]`, errs));
      return new WeightedPicker(choices, cs.map((c) => c.weight), random);
    }
  }
}
