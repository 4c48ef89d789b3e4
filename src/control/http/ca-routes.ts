// HTTP API: root rotation — GET /api/v1/ca/rotation (phase, roots, who has not caught up), POST {step} takes the next step (admin).
import { ROTATION_STEPS, RotationError, type RotationStep } from '../ca/rotation.js';
import type { ApiDeps } from './deps.js';
import { HttpError, ok, optionalString, readJsonObject } from './io.js';
import type { Router } from './router.js';

export function addCaRoutes(router: Router, deps: ApiDeps): void {
  const rotation = (): NonNullable<ApiDeps['rotation']> => {
    if (deps.rotation === undefined) throw new HttpError(404, 'this control plane has no root rotation');
    return deps.rotation;
  };
  router.add('GET', '/api/v1/ca/rotation', () => ok(rotation().status()));
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
