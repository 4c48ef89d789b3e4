// HTTP API: root rotation — GET /api/v1/ca/rotation (phase, roots, who has not caught up), POST {step} takes the next step (admin).
import { ROTATION_STEPS, RotationError, type RotationStatus, type RotationStep } from '../ca/rotation.js';
import { askPeers } from '../cluster/peer-api.js';
import type { ApiDeps } from './deps.js';
import { HttpError, ok, optionalString, readJsonObject } from './io.js';
import type { Router } from './router.js';

export function addCaRoutes(router: Router, deps: ApiDeps): void {
  const rotation = (): NonNullable<ApiDeps['rotation']> => {
    if (deps.rotation === undefined) throw new HttpError(404, 'this control plane has no root rotation');
    return deps.rotation;
  };
  // replicas sharing a store: who has not caught up on any replica (`scope=local` is what one replica asks another)
  router.add('GET', '/api/v1/ca/rotation', async ({ query }) => {
    const local = rotation().status();
    if (deps.replicas === undefined || query.get('scope') === 'local') return ok(local);
    const asked = await askPeers(await deps.replicas.peers().catch(() => []), '/api/v1/ca/rotation?scope=local', deps.replicas.token, rotationStatus);
    return ok(mergeWaiting(local, asked.answers, asked.unreachable));
  });
  router.add('POST', '/api/v1/ca/rotation', async (ctx) => {
    const step = optionalString(await readJsonObject(ctx.req), 'step');
    if (step === undefined || !(ROTATION_STEPS as readonly string[]).includes(step)) throw new HttpError(400, `"step" must be one of ${ROTATION_STEPS.join(', ')}`);
    try {
      return ok(await rotation().step(step as RotationStep));
    } catch (e) {
      if (e instanceof RotationError) throw new HttpError(409, e.message);
      throw e;
    }
  });
}

type Waiting = RotationStatus['waiting'];

/** A peer's rotation status, checked: its waiting list is all we read besides its roots. */
export function rotationStatus(v: unknown): RotationStatus | string {
  const o = v as Partial<RotationStatus> | null;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.waiting) || !Array.isArray(o.roots)) return 'not a rotation status';
  if (o.waiting.length > 200_000) return `${o.waiting.length} waiting, more than 200000`;
  const strings = (w: unknown): boolean => typeof w === 'object' && w !== null && typeof (w as Waiting[number]).proxy === 'string' && typeof (w as Waiting[number]).lacks === 'string';
  if (!o.waiting.every(strings) || !o.roots.every((r) => typeof (r as { fingerprint?: unknown })?.fingerprint === 'string')) return 'malformed waiting or roots';
  return o as RotationStatus;
}

/**
 * This replica's status, waiting also for every other replica's stragglers, for a replica that still holds another
 * set of roots (it has not followed the last step yet), and for a replica that did not answer: its proxies are
 * unknown, so a rotation must not go on as if they had caught up.
 */
export function mergeWaiting(local: RotationStatus, answers: readonly { replica: string; body: RotationStatus }[], unreachable: readonly { replica: string; error: string }[]): RotationStatus {
  const roots = (s: RotationStatus): string => s.roots.map((r) => `${r.fingerprint}${r.active ? '*' : ''}`).join(',');
  const waiting: Waiting = [...local.waiting];
  for (const a of answers) {
    if (roots(a.body) !== roots(local)) waiting.push({ proxy: `control-plane replica ${a.replica}`, lacks: 'the current CA state (it has not followed the last step yet)' });
    waiting.push(...a.body.waiting);
  }
  for (const u of unreachable) waiting.push({ proxy: `control-plane replica ${u.replica}`, lacks: `an answer (${u.error}): the proxies connected to it are not known` });
  return { ...local, waiting };
}
