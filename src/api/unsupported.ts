// API stage: Istio fields Trellis accepts as valid Istio but cannot honour yet — rejected by name at apply, never ignored.
import { apiError, type ApiError } from './errors.js';
import { resourceRef, type MeshResource } from './types.js';
import { unsupportedGatewayFields, unsupportedL4Matches, unsupportedSidecarFields } from './unsupported-l4.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A TLS setting that asks for encryption (anything but mode DISABLE) changes security, so it must not be dropped. */
function tlsRequested(v: unknown): boolean {
  return isObj(v) && v.mode !== undefined && v.mode !== 'DISABLE';
}

/** Every field of `r` that the translation to xDS would otherwise drop, each with its path and the reason. */
export function unsupportedFields(r: MeshResource): ApiError[] {
  const out: ApiError[] = [];
  const ref = resourceRef(r);
  const add = (path: string, why: string): void => {
    out.push(apiError(ref, path, `${path.split('.').pop()?.replace(/\[\d+\]$/, '')} is not supported by trellis yet (${why})`));
  };
  const spec: unknown = r.spec;
  if (!isObj(spec)) return out;
  switch (r.kind) {
    case 'VirtualService':
      unsupportedL4Matches(spec, add);
      break;
    case 'Gateway':
      unsupportedGatewayFields(spec, add);
      break;
    case 'Sidecar':
      unsupportedSidecarFields(spec, add);
      break;
    case 'DestinationRule': {
      const policies: [string, unknown][] = [['spec.trafficPolicy', spec.trafficPolicy]];
      list(spec.subsets).forEach((s, i) => {
        if (isObj(s)) policies.push([`spec.subsets[${i}].trafficPolicy`, s.trafficPolicy]);
      });
      for (const [path, p] of policies) {
        if (!isObj(p)) continue;
        if (tlsRequested(p.tls)) add(`${path}.tls`, 'upstream TLS/mTLS arrives with the certificate authority');
        list(p.portLevelSettings).forEach((pl, i) => {
          if (isObj(pl) && tlsRequested(pl.tls)) add(`${path}.portLevelSettings[${i}].tls`, 'upstream TLS/mTLS arrives with the certificate authority');
        });
      }
      break;
    }
    default:
      break;
  }
  return out;
}
