// xDS client: the admin /config_dump entries (Envoy's admin.v3 Clusters/Listeners/Routes/EndpointsConfigDump shapes) for xDS-managed state.
import type { ApplyTarget, XdsResources } from './applier.js';
import type { AcceptedResource, TypeState } from './xds-state.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

function when(d: Date | undefined): string | undefined {
  return d?.toISOString();
}

/** Envoy's UpdateFailureState, for the last rejected response of a type. */
function errorState<T>(st: TypeState<T>): object | undefined {
  const r = st.lastRejected;
  return r === undefined ? undefined : { failed_configuration_version: r.version, last_update_attempt: when(r.time), details: r.details };
}

function dyn<T>(r: AcceptedResource<T>, key: string): object {
  return { version_info: r.version, [key]: r.raw, last_updated: when(r.lastUpdated) };
}

export function configDump(state: XdsResources, target: ApplyTarget): object[] {
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
      dynamic_route_configs: [...routes.resources.values()].map((r) => dyn(r, 'route_config')),
      error_state: errorState(routes),
    },
    {
      '@type': `${ADMIN}EndpointsConfigDump`,
      dynamic_endpoint_configs: [...endpoints.resources.values()].map((r) => dyn(r, 'endpoint_config')),
      error_state: errorState(endpoints),
    },
  ];
}
