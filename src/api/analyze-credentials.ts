// API stage: IST0161 — a Gateway server's credentialName must name a Secret holding a certificate and key (and, for MUTUAL, a CA) in each namespace its gateway workloads run in.
import { InvalidGatewayCredential, message, type Message } from './messages.js';
import { selects, type MeshIndex } from './mesh-index.js';
import { CACERT_SUFFIX, secretValues, tlsCredential } from './secret-data.js';
import { resourceRef, type Gateway } from './types.js';

/** Why the credential cannot serve in `namespace`, or undefined when it can. */
function credentialProblem(name: string, mutual: boolean, namespace: string, idx: MeshIndex): string | undefined {
  const s = idx.secrets.get(`${namespace}/${name}`);
  if (s === undefined) return `secret ${namespace}/${name} not found (a gateway reads credentials from its own namespace)`;
  const cred = tlsCredential(secretValues(s));
  if (cred.certificate === undefined) return `secret ${namespace}/${name} holds no certificate and key (tls.crt/tls.key or cert/key)`;
  if (!mutual) return undefined;
  const separate = idx.secrets.get(`${namespace}/${name}${CACERT_SUFFIX}`);
  const ca = separate !== undefined ? tlsCredential(secretValues(separate)).ca : cred.ca;
  if (ca === undefined) return `no CA to verify clients: neither ${namespace}/${name}${CACERT_SUFFIX} nor ${namespace}/${name} holds ca.crt or cacert`;
  return undefined;
}

/**
 * Checked only where the gateway's workloads are known (registered, or WorkloadEntries): the Secret belongs in their
 * namespace, which is often not the Gateway's own (Istio's tasks put the Gateway in default and the Secret in istio-system).
 */
export function analyzeGatewayCredentials(gw: Gateway, idx: MeshIndex): Message[] {
  const sel = gw.spec.selector ?? {};
  if (idx.workloads === undefined) return [];
  const namespaces = [...new Set(idx.workloads.filter((w) => selects(sel, w.labels)).map((w) => w.namespace))].sort();
  const out: Message[] = [];
  gw.spec.servers.forEach((s, i) => {
    const tls = s.tls;
    const name = tls?.credentialName;
    if (name === undefined || name === '' || tls?.mode === 'ISTIO_MUTUAL' || tls?.mode === 'PASSTHROUGH' || tls?.mode === undefined) return;
    const mutual = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL';
    for (const ns of namespaces) {
      const problem = credentialProblem(name, mutual, ns, idx);
      if (problem !== undefined) out.push(message(InvalidGatewayCredential, resourceRef(gw), `Invalid certificate reference ${name}: ${problem}`, `spec.servers[${i}].tls.credentialName`));
    }
  });
  return out;
}
