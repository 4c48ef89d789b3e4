// xDS transport: a resource's xDS name from its decoded JSON (shared by the control plane's codec and the proxy's wire codec).
import { ENDPOINT_TYPE } from './type-urls.js';

/** `cluster_name` for ClusterLoadAssignment, `name` for the others. */
export function resourceName(typeUrl: string, json: Record<string, unknown>): string {
  const v = typeUrl === ENDPOINT_TYPE ? (json.cluster_name ?? json.clusterName) : json.name;
  return typeof v === 'string' ? v : '';
}
