// HTTP filters: ext_authz over GrpcService — the shared Authorization/Check client (src/proxy/ext-authz/), its
// CheckResponse turned into the HTTP filter's answer (header edits, denied replies).
import type { ClusterManager } from '../../../upstream/types.js';
import type { PoolManager } from '../../../upstream/pool/pool-manager.js';
import type { AsyncCall, AsyncFailure, AsyncResponse } from '../../../upstream/async-client.js';
import type { CheckAttributes } from '../../../ext-authz/check-attributes.js';
import type { AuthzCodec } from '../../../ext-authz/grpc-codec.js';
import { AuthzGrpcClient, checkOutcomeFromExchange, type CheckOutcome } from '../../../ext-authz/grpc-client.js';
import { answerFromCheckResponse } from './grpc-answer.js';
import type { AuthzResult } from './result.js';
import type { GrpcAuthzService } from './types.js';

function answerFromOutcome(o: CheckOutcome): AuthzResult {
  return o.kind === 'error' ? o : answerFromCheckResponse(o.response);
}

/** The answer to one Check call's HTTP exchange (exported for tests). */
export function answerFromGrpcExchange(codec: AuthzCodec, err: AsyncFailure | null, res: AsyncResponse | undefined): AuthzResult {
  return answerFromOutcome(checkOutcomeFromExchange(codec, err, res));
}

export class GrpcServiceClient {
  private readonly client: AuthzGrpcClient;

  constructor(svc: GrpcAuthzService, clusters: ClusterManager, pools: PoolManager) {
    this.client = new AuthzGrpcClient(svc, clusters, pools);
  }

  /** Sends one Check; `cb` gets exactly one answer unless the returned call is cancelled first. */
  check(attrs: CheckAttributes, cb: (r: AuthzResult) => void): AsyncCall {
    return this.client.check(attrs, (o) => cb(answerFromOutcome(o)));
  }
}
