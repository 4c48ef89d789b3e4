// HTTP: CONNECT admission — a valid authority-form target, and CONNECT enabled by the route's or the HCM's upgrade_configs.
import type { ActiveStream } from './active-stream.js';
import { isValidAuthority } from './h1-request-checks.js';

/** RFC 9110 §9.3.6: a CONNECT target is authority-form, host and port. */
export function isConnectTarget(authority: string): boolean {
  if (!isValidAuthority(authority)) return false;
  const close = authority.lastIndexOf(']');
  const colon = authority.indexOf(':', close + 1);
  return colon > 0 && colon < authority.length - 1;
}

/**
 * Envoy answers 403 (upgrade_failed) to a CONNECT that neither the route's nor the connection manager's
 * upgrade_configs enable; the route's entry, when present, overrides the connection manager's.
 * Returns true when it replied.
 */
export function rejectDisallowedConnect(s: ActiveStream): boolean {
  const action = s.route?.action;
  const perRoute = action?.kind === 'route' ? action.route.connectEnabled : undefined;
  const allowed = perRoute ?? s.cm.config.upgrade_configs.some((u) => u.upgrade_type === 'connect' && u.enabled);
  if (allowed) return false;
  s.localReplyFrom(s.slots.length - 1, 403, '', { details: 'upgrade_failed' });
  return true;
}
