// Registry stage: the public surface — the stateful WorkloadRegistry and the pure service/endpoint derivations.
export * from './types.js';
export { WorkloadRegistry, DEFAULT_REGISTRATION_GRACE_MS, type RegistryOptions, type StreamEvents } from './registry.js';
export { WORKLOAD_PREFIX, workloadKey, workloadFromNode, workloadFromProxy } from './workload.js';
export { serviceFromResource, servicesFromEntry, declaredServices, declaredHost, serviceHostname } from './services.js';
export { serviceInstances, entryInstances, declaredInstances, selectorMatches, sourceFromEntry, sourceFromWorkload, type EndpointSource } from './endpoints.js';
