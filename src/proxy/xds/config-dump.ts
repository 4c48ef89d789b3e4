// xDS client: the admin /config_dump entries (Envoy's admin.v3 Clusters/Listeners/Routes/Endpoints/SecretsConfigDump shapes) for xDS-managed state.
import type { ApplyTarget, XdsResources } from './applier.js';
import type { AcceptedResource, RejectedUpdate, TypeState } from './xds-state.js';
import type { Json } from '../../xds/codec.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

function when(d: Date | undefined): string | undefined {
  return d?.toISOString();
}

/** Envoy's UpdateFailureState, for the last rejected response of these types. */
function errorState(...types: TypeState<unknown>[]): object | undefined {
  let r: RejectedUpdate | undefined;
  for (const t of types) if (t.lastRejected !== undefined && (r === undefined || t.lastRejected.time >= r.time)) r = t.lastRejected;
  return r === undefined ? undefined : { failed_configuration_version: r.version, last_update_attempt: when(r.time), details: r.details };
}

function dyn<T>(r: AcceptedResource<T>, key: string, raw: Json = r.raw): object {
  return { version_info: r.version, [key]: raw, last_updated: when(r.lastUpdated) };
}

/** `routeRaw` gives a route configuration as served (with its VHDS virtual hosts merged in). */
export function configDump(state: XdsResources, target: ApplyTarget, routeRaw: (name: string, raw: Json) => Json = (_n, raw) => raw): object[] {
  const { clusters, listeners, routes, endpoints } = state;
  return [
    {
      '@type': `${ADMIN}ClustersConfigDump`,
      version_info: clusters.version,
      static_clusters: target.staticClusters.map((c) => ({ cluster: c })),
      dynamic_active_clusters: [...clusters.resources.values()].map((r) => dyn(r, 'cluster')),
      error_state: errorState(clusters),
    },
    {
      '@type': `${ADMIN}ListenersConfigDump`,
      version_info: listeners.version,
      static_listeners: target.staticListeners.map((l) => ({ listener: l })),
      dynamic_listeners: [...listeners.resources.values()].map((r) => ({ name: r.name, active_state: dyn(r, 'listener') })),
      error_state: errorState(listeners),
    },
    {
      '@type': `${ADMIN}RoutesConfigDump`,
      dynamic_route_configs: [...routes.resources.values()].map((r) => dyn(r, 'route_config', routeRaw(r.name, r.raw))),
      // a rejected VHDS update is a rejected update of the route configurations it belongs to
      error_state: errorState(routes, state.vhosts),
    },
    {
      '@type': `${ADMIN}EndpointsConfigDump`,
      dynamic_endpoint_configs: [...endpoints.resources.values()].map((r) => dyn(r, 'endpoint_config')),
      error_state: errorState(endpoints),
    },
    // which version of each secret the proxy holds (rotation is visible here); private keys are printed as [redacted] by the admin's JSON
    {
      '@type': `${ADMIN}SecretsConfigDump`,
      dynamic_active_secrets: [...state.secrets.resources.values()].map((r) => ({ name: r.name, ...dyn(r, 'secret') })),
    },
  ];
}
