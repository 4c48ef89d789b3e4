// Common: the CEL forms trellis evaluates as an Istio metric dimension (Telemetry tagOverrides, stats.PluginConfig
// dimensions) — checked at apply and compiled by the proxy from the same function.

export type DimensionExpr = { kind: 'literal'; value: string } | { kind: 'host' } | { kind: 'header'; name: string };

/** `request.host`, `request.headers['x']` / `request.headers["x"]`, or a quoted literal; else why not (a string). */
export function parseDimension(expr: string): DimensionExpr | string {
  const e = expr.trim();
  if (e === 'request.host') return { kind: 'host' };
  const h = /^request\.headers\[(['"])([^'"]{1,256})\1\]$/.exec(e);
  if (h) return { kind: 'header', name: h[2]!.toLowerCase() };
  const l = /^(['"])([^'"\\]*)\1$/.exec(e);
  if (l) return { kind: 'literal', value: l[2]! };
  return `unsupported CEL expression "${expr}": trellis evaluates only request.host, request.headers['name'] and quoted literals`;
}
