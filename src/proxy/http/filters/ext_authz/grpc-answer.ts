// HTTP filters: ext_authz over gRPC — a decoded CheckResponse turned into the filter's answer, with Envoy's header semantics.
import type { CheckResponseView, HeaderOptionView } from '../../../ext-authz/grpc-codec.js';
import { emptyOk, type AuthzResult, type HeaderPair } from './result.js';

const APPEND_IF_EXISTS_OR_ADD = 0;
const ADD_IF_ABSENT = 1;
const OVERWRITE_IF_EXISTS_OR_ADD = 2;

/** status OK allows (ok_response edits the request/response); any other code denies (403 unless denied_response says). */
export function answerFromCheckResponse(r: CheckResponseView): AuthzResult {
  // OkHttpResponse.dynamic_metadata is deprecated but, when set, wins over the outer field (Envoy).
  const md = r.ok?.dynamicMetadata ?? r.dynamicMetadata;
  const metadata = md !== undefined && Object.keys(md).length > 0 ? md : undefined;
  if (r.code === 0) {
    const ok = emptyOk();
    const k = r.ok;
    if (k !== undefined) {
      // `headers`: the BoolValue append decides (true = append to an existing header, else set), as Envoy reads it.
      for (const h of k.headers) (h.append === true ? ok.headersToAppend : ok.headersToSet).push(pair(h));
      for (const h of k.responseHeadersToAdd) {
        if (h.append !== undefined) (h.append ? ok.responseHeadersToAdd : ok.responseHeadersToSet).push(pair(h));
        else if (h.appendAction === APPEND_IF_EXISTS_OR_ADD) ok.responseHeadersToAdd.push(pair(h));
        else if (h.appendAction === ADD_IF_ABSENT) ok.responseHeadersToAddIfAbsent.push(pair(h));
        else if (h.appendAction === OVERWRITE_IF_EXISTS_OR_ADD) ok.responseHeadersToSet.push(pair(h));
        else ok.responseHeadersToOverwriteIfExists.push(pair(h));
      }
      ok.headersToRemove.push(...k.headersToRemove.map((s) => s.toLowerCase()));
      for (const q of k.queryParametersToSet) ok.queryParametersToSet.push([q.key, q.value]);
      ok.queryParametersToRemove.push(...k.queryParametersToRemove);
    }
    return metadata === undefined ? ok : { ...ok, dynamicMetadata: metadata };
  }
  const d = r.denied;
  // Only the headers to set reach the client; appended ones are dropped on a denial, as in Envoy.
  const headers = d === undefined ? [] : d.headers.filter((h) => h.append !== true).map(pair);
  const denied = { kind: 'denied' as const, status: d !== undefined && d.status > 0 ? d.status : 403, headers, body: d?.body ?? '' };
  return metadata === undefined ? denied : { ...denied, dynamicMetadata: metadata };
}

function pair(h: HeaderOptionView): HeaderPair {
  return [h.key, h.value];
}
