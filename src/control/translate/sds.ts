// Translate stage: SDS — the secrets the control plane serves by name: ROOTCA, the mesh roots every workload certificate chains to.
import type { ProxyNode, Snapshot } from '../model/types.js';
import { type Generator, type XdsResource, anyChanged, filterNames } from './generator.js';
import { SECRET_TYPE } from '../../xds/type-urls.js';

/** Istio's name for the mesh trust bundle (validation context); `default`, the workload certificate, is made by each proxy. */
export const ROOT_CA_SECRET = 'ROOTCA';

export function rootCaSecret(snap: Snapshot): XdsResource | undefined {
  if (snap.trustBundlePem === '') return undefined;
  return { name: ROOT_CA_SECRET, resource: { '@type': SECRET_TYPE, name: ROOT_CA_SECRET, validation_context: { trusted_ca: { inline_string: snap.trustBundlePem } } } };
}

export const sdsGenerator: Generator = {
  typeUrl: SECRET_TYPE,
  needsPush: (changed) => anyChanged(changed, ['trustBundle']),
  build(_proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[] {
    const root = rootCaSecret(snap);
    return filterNames(root !== undefined ? [root] : [], names);
  },
};
