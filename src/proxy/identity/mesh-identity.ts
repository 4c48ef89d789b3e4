// Workload identity: wires a proxy whose control plane is reached over TLS — credentials for its xDS streams and the certificate agent.
import type { Bootstrap } from '../config/types.js';
import type { SecretManager } from '../tls/secret-manager.js';
import { controlPlaneTargets } from '../xds/bootstrap-ads.js';
import { ControlPlaneAddresses } from '../xds/control-plane-addresses.js';
import { controlPlaneCredentials, type XdsCredentials } from '../xds/xds-credentials.js';
import { ROOT_SECRET, WorkloadCertificateAgent } from './workload-agent.js';

export interface MeshIdentity {
  credentials?: XdsCredentials;
  agent?: WorkloadCertificateAgent;
}

/**
 * Nothing for a plaintext (or no) control plane. Over TLS the proxy needs a token or a client certificate for its
 * first connection; the agent then keeps a workload certificate (the X.509 library loads on its first CSR).
 */
export async function meshIdentity(b: Bootstrap, token: string | undefined, secrets: SecretManager, log: (msg: string) => void): Promise<MeshIdentity> {
  const credentials = controlPlaneCredentials(b, token);
  if (credentials === undefined) {
    if (token !== undefined) log('identity: the control plane is plaintext: the token is not sent (give --ca-root to connect over TLS)');
    return {};
  }
  const targets = controlPlaneTargets(b);
  if (credentials.token === undefined && credentials.staticCert === undefined) {
    throw new Error(`the control plane (${targets.join(', ')}) is reached over TLS: give --token-file FILE or TRELLIS_TOKEN to prove this workload's identity`);
  }
  // the CA client brings HTTP/2 and the codec; a plaintext or static proxy never loads it
  const { requestCertificate } = await import('./ca-client.js');
  // each request tries the next control-plane address (and a name's next address), as the ADS stream does
  const addresses = new ControlPlaneAddresses(targets);
  const agent = new WorkloadCertificateAgent({
    secrets,
    log,
    request: async (csr) => {
      const { address, name } = await addresses.next();
      return requestCertificate(address, credentials, csr, 0, name !== undefined ? { name } : {});
    },
  });
  credentials.workloadCert = () => agent.current();
  credentials.certificateRefused = () => agent.refused();
  // the trust bundle arrives over the verified channel: it is also what the control plane's certificate must chain to
  // from now on (after a root rotation retires the root in --ca-root)
  secrets.watch([ROOT_SECRET], () => {
    const bundle = secrets.get(ROOT_SECRET)?.validation_context?.trusted_ca;
    if (bundle === undefined) return;
    credentials.ca = bundle;
    agent.trustBundleChanged(bundle);
  });
  return { credentials, agent };
}
