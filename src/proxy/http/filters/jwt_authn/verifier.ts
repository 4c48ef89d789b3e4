// HTTP filters: jwt_authn requirement trees — provider, provider_and_audiences, requires_any/all and allow_missing*, built once.
import type { JwtProviderConfig, JwtRequirement } from './config.js';
import { Extractor } from './extractor.js';
import { AudienceChecker } from './jwt.js';
import type { Provider, ProviderSet } from './provider.js';
import { authenticate, type VerifyContext } from './authenticator.js';
import { Status, isSync, type Outcome } from './status.js';

export interface Verifier {
  verify(ctx: VerifyContext): Outcome;
}

/** provider_name / provider_and_audiences: tokens in this provider's locations, checked by it. */
class ProviderVerifier implements Verifier {
  private readonly extractor: Extractor;
  constructor(
    private readonly provider: Provider,
    private readonly providers: ProviderSet,
    private readonly audiences: AudienceChecker | undefined,
  ) {
    this.extractor = new Extractor([provider.cfg]);
  }
  verify(ctx: VerifyContext): Outcome {
    this.extractor.sanitizeHeaders(ctx.req.headers);
    const tokens = this.extractor.extract(ctx.req);
    return authenticate(ctx, tokens, { provider: this.provider, providers: this.providers, audiences: this.audiences, allowFailed: false, allowMissing: false });
  }
}

/** allow_missing / allow_missing_or_failed: tokens in any provider's locations, each checked by its issuer's provider. */
class AllowVerifier implements Verifier {
  private readonly extractor: Extractor;
  constructor(
    private readonly providers: ProviderSet,
    configs: readonly JwtProviderConfig[],
    private readonly allowFailed: boolean,
  ) {
    this.extractor = new Extractor(configs);
  }
  verify(ctx: VerifyContext): Outcome {
    this.extractor.sanitizeHeaders(ctx.req.headers);
    const tokens = this.extractor.extract(ctx.req);
    return authenticate(ctx, tokens, { providers: this.providers, allowFailed: this.allowFailed, allowMissing: !this.allowFailed });
  }
}

/** Missing and unknown-issuer results only say a token was not meant for that child; any other failure is preferred. */
function aggregate(statuses: readonly Status[]): Status {
  let final: Status = Status.JwtMissed;
  for (const s of statuses) {
    if ((s !== Status.JwtMissed && s !== Status.JwtUnknownIssuer) || final === Status.JwtMissed) final = s;
  }
  return final;
}

/** requires_any: Ok as soon as one child is; otherwise the aggregated failure, softened by allow_missing*. */
class AnyVerifier implements Verifier {
  constructor(
    private readonly children: readonly Verifier[],
    private readonly allowMissingOrFailed: boolean,
    private readonly allowMissing: boolean,
  ) {}

  private settle(statuses: readonly Status[]): Status {
    const s = aggregate(statuses);
    if (this.allowMissingOrFailed) return Status.Ok;
    if (this.allowMissing && s === Status.JwtMissed) return Status.Ok;
    return s;
  }

  verify(ctx: VerifyContext): Outcome {
    const n = this.children.length;
    const statuses = new Array<Status>(n);
    const pending: [number, Promise<Status>][] = [];
    for (let i = 0; i < n; i++) {
      const r = this.children[i]!.verify(ctx);
      if (!isSync(r)) pending.push([i, r]);
      else if (r === Status.Ok) return Status.Ok; // later children are not started, as in Envoy
      else statuses[i] = r;
    }
    if (pending.length === 0) return this.settle(statuses);
    return new Promise<Status>((resolve) => {
      let left = pending.length;
      for (const [i, p] of pending) {
        void p.then((s) => {
          if (s === Status.Ok) return resolve(Status.Ok);
          statuses[i] = s;
          if (--left === 0) resolve(this.settle(statuses));
        });
      }
    });
  }
}

/** requires_all: the first failure decides; Ok once every child is. */
class AllVerifier implements Verifier {
  constructor(private readonly children: readonly Verifier[]) {}

  verify(ctx: VerifyContext): Outcome {
    const pending: Promise<Status>[] = [];
    for (const c of this.children) {
      const r = c.verify(ctx);
      if (!isSync(r)) pending.push(r);
      else if (r !== Status.Ok) return r; // later children are not started, as in Envoy
    }
    if (pending.length === 0) return Status.Ok;
    return new Promise<Status>((resolve) => {
      let left = pending.length;
      for (const p of pending) {
        void p.then((s) => {
          if (s !== Status.Ok) return resolve(s);
          if (--left === 0) resolve(Status.Ok);
        });
      }
    });
  }
}

const ALLOW_ALL: Verifier = { verify: () => Status.Ok };

/** Builds the verifier of a (validated) requirement; every provider name it uses exists. */
export function buildVerifier(req: JwtRequirement, providers: ProviderSet): Verifier {
  const all = (): JwtProviderConfig[] => [...providers.byName.values()].map((p) => p.cfg);
  switch (req.kind) {
    case 'provider': {
      const p = providers.byName.get(req.provider);
      if (p === undefined) throw new Error(`jwt_authn: provider ${req.provider} is not configured`);
      return new ProviderVerifier(p, providers, req.audiences !== undefined && req.audiences.length > 0 ? new AudienceChecker(req.audiences) : undefined);
    }
    case 'any': {
      let allowFailed = false;
      let allowMissing = false;
      const children: Verifier[] = [];
      for (const r of req.requirements) {
        if (r.kind === 'allow_missing_or_failed') allowFailed = true;
        else if (r.kind === 'allow_missing') allowMissing = true;
        else children.push(buildVerifier(r, providers));
      }
      // Only allow_missing* in the list: it verifies tokens from every provider, as on its own.
      if (children.length === 0) children.push(new AllowVerifier(providers, all(), allowFailed));
      return new AnyVerifier(children, allowFailed, allowMissing);
    }
    case 'all':
      return new AllVerifier(req.requirements.map((r) => buildVerifier(r, providers)));
    case 'allow_missing_or_failed':
      return new AllowVerifier(providers, all(), true);
    case 'allow_missing':
      return new AllowVerifier(providers, all(), false);
    default:
      return ALLOW_ALL;
  }
}
