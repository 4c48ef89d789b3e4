// Telemetry: turns a stat's segments into its flat Envoy name and its Prometheus name + labels (config time only).
import type { StatSegment } from './stats.js';

/**
 * How a tag value is spliced into the flat name. Most tags stand as their own '.'-separated element
 * (cluster.<name>.x); Envoy's response-code tags are glued onto the preceding word instead:
 * upstream_rq + 200 -> upstream_rq_200, upstream_rq_xx + 2 -> upstream_rq_2xx.
 */
function appendTag(out: string, prevWasWord: boolean, tag: string, value: string): string {
  if (prevWasWord && out !== '') {
    if (tag === 'envoy_response_code') return `${out}_${value}`;
    if (tag === 'envoy_response_code_class') {
      return out.endsWith('_xx') ? `${out.slice(0, -2)}${value}xx` : `${out}_${value}xx`;
    }
  }
  return out === '' ? value : `${out}.${value}`;
}

/** `['cluster', ['envoy_cluster_name','web'], 'upstream_rq', ['envoy_response_code','200']]` -> `cluster.web.upstream_rq_200` */
export function flatName(segments: readonly StatSegment[]): string {
  let out = '';
  let prevWasWord = false;
  for (const s of segments) {
    if (typeof s === 'string') {
      out = out === '' ? s : `${out}.${s}`;
      prevWasWord = true;
    } else {
      out = appendTag(out, prevWasWord, s[0], s[1]);
      prevWasWord = false;
    }
  }
  return out;
}

/** Prometheus metric names allow [a-zA-Z0-9_:]; Envoy replaces anything else with '_'. */
export function sanitizePromName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Label names allow [a-zA-Z0-9_] only. */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Text format 0.0.4: backslash, double quote and line feed are escaped inside label values. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export interface PromName {
  name: string;
  /** [labelName, value] in segment order, duplicates resolved to the innermost value. */
  labels: [string, string][];
}

/** Plain words joined with '_' under 'envoy_' (Istio's own `istio_*` stats keep their name); tag segments become labels. */
export function promName(segments: readonly StatSegment[]): PromName {
  const first = segments[0];
  const words: string[] = typeof first === 'string' && first.startsWith('istio_') ? [] : ['envoy'];
  const labels: [string, string][] = [];
  for (const s of segments) {
    if (typeof s === 'string') {
      words.push(s);
    } else {
      const ln = sanitizeLabelName(s[0]);
      const i = labels.findIndex((l) => l[0] === ln);
      if (i >= 0) labels.splice(i, 1);
      labels.push([ln, s[1]]);
    }
  }
  return { name: sanitizePromName(words.join('_')), labels };
}

/** `{a="x",b="y"}` or '' when there are no labels. */
export function formatLabels(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}
