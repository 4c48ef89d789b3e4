// Config stage: validates a cluster's active health_checks (HTTP with expected_statuses, or TCP payloads).
import type { HealthCheck } from './types.js';
import { Ctx, Msg } from './reader.js';
import { headerName, validateHeaderValueOption } from './common.js';
import { validateInt64Range } from './matchers.js';

function payload(ctx: Ctx, raw: unknown, path: string): Buffer | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.HealthCheck.Payload', fields: ['text', 'binary'] });
  if (m === undefined) return undefined;
  switch (m.oneof(['text', 'binary'], true)) {
    case 'text': {
      const t = m.strOr('text', '');
      if (!/^([0-9a-fA-F]{2})*$/.test(t)) {
        m.err('text', 'expected hex-encoded bytes');
        return undefined;
      }
      return Buffer.from(t, 'hex');
    }
    case 'binary':
      return Buffer.from(m.strOr('binary', ''), 'base64');
    default:
      return undefined;
  }
}

function httpChecker(ctx: Ctx, raw: unknown, path: string): HealthCheck['checker'] | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.HealthCheck.HttpHealthCheck',
    fields: ['host', 'path', 'request_headers_to_add', 'request_headers_to_remove', 'expected_statuses', 'codec_client_type'],
  });
  if (m === undefined) return undefined;
  const p = m.reqStr('path');
  const statuses = m.list('expected_statuses', (r, rp) => validateInt64Range(ctx, r, rp, { min: 100, max: 600 }));
  const out: HealthCheck['checker'] = {
    kind: 'http',
    path: p,
    expected_statuses: statuses.length > 0 ? statuses : [{ start: 200, end: 201 }],
    request_headers_to_add: m.list('request_headers_to_add', (r, rp) => validateHeaderValueOption(ctx, r, rp)),
    request_headers_to_remove: m.list('request_headers_to_remove', (r, rp) => headerName(ctx, r, rp)),
    codec_client_type: m.enumOr('codec_client_type', ['HTTP1', 'HTTP2'], 'HTTP1'),
  };
  const host = m.str('host');
  if (host !== undefined) out.host = host;
  return out;
}

export function validateHealthCheck(ctx: Ctx, raw: unknown, path: string): HealthCheck | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.HealthCheck',
    fields: [
      'timeout', 'interval', 'initial_jitter', 'interval_jitter', 'unhealthy_threshold', 'healthy_threshold', 'no_traffic_interval',
      'no_traffic_healthy_interval', 'unhealthy_interval', 'healthy_edge_interval', 'unhealthy_edge_interval', 'http_health_check', 'tcp_health_check',
    ],
    // health-check event logging
    ignored: ['event_log_path', 'event_logger', 'event_service', 'always_log_health_check_failures', 'always_log_health_check_success'],
  });
  if (m === undefined) return undefined;
  for (const f of ['timeout', 'interval', 'unhealthy_threshold', 'healthy_threshold']) m.require(f);
  const timeout = m.durOr('timeout', 0);
  const interval = m.durOr('interval', 0);
  if (m.has('timeout') && timeout <= 0) m.err('timeout', 'must be greater than 0');
  if (m.has('interval') && interval <= 0) m.err('interval', 'must be greater than 0');
  let checker: HealthCheck['checker'] | undefined;
  switch (m.oneof(['http_health_check', 'tcp_health_check'], true, 'http_health_check')) {
    case 'http_health_check':
      checker = m.msg('http_health_check', (r, p) => httpChecker(ctx, r, p));
      break;
    case 'tcp_health_check':
      checker = m.msg('tcp_health_check', (r, p) => {
        const t = Msg.open(ctx, r, p, { type: 'config.core.v3.HealthCheck.TcpHealthCheck', fields: ['send', 'receive'] });
        if (t === undefined) return undefined;
        const c: HealthCheck['checker'] = { kind: 'tcp', receive: t.list('receive', (pr, pp) => payload(ctx, pr, pp)) };
        const send = t.msg('send', (pr, pp) => payload(ctx, pr, pp));
        if (send !== undefined) c.send = send;
        return c;
      });
      break;
  }
  if (checker === undefined) return undefined;
  const out: HealthCheck = {
    timeout,
    interval,
    unhealthy_threshold: m.numOr('unhealthy_threshold', 0, { int: true, min: 0 }),
    healthy_threshold: m.numOr('healthy_threshold', 0, { int: true, min: 0 }),
    no_traffic_interval: m.durOr('no_traffic_interval', 60000),
    checker,
  };
  for (const f of ['initial_jitter', 'interval_jitter', 'no_traffic_healthy_interval', 'unhealthy_interval', 'healthy_edge_interval', 'unhealthy_edge_interval'] as const) {
    const v = m.dur(f);
    // Envoy: every interval but the jitters must be greater than 0
    if (v !== undefined && v <= 0 && !f.endsWith('jitter')) m.err(f, 'must be greater than 0');
    else if (v !== undefined) out[f] = v;
  }
  if (m.has('no_traffic_interval') && out.no_traffic_interval <= 0) m.err('no_traffic_interval', 'must be greater than 0');
  return out;
}
