// Ingestion stage: the public surface — the pure snapshot builder, change classification, the Ingestion loop and the xDS generator adapter.
export { buildMeshSnapshot, type MeshInput } from './build.js';
export { changedKinds, typesToPush } from './changes.js';
export { Ingestion, type IngestionOptions, type Rebuild } from './ingestion.js';
export { SnapshotGenerator, proxyNodeOf } from './generator.js';
export { toMeshResources } from './resources.js';
