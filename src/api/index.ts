// API stage: the public surface of src/api — types, parsing, validation, analysis and host helpers — for the store, translation and CLI.
export * from './types.js';
export { parseResources, parseDocuments, locate, type SkippedObject } from './parse.js';
export { loadResources, validateResources } from './load.js';
export { validateResource } from './validate.js';
export { analyze, type Workload } from './analyze.js';
export { formatMessage, sortMessages, type Message, type Level } from './messages.js';
export { apiError, type ApiError, type Location } from './errors.js';
export { fqdn, hostCovers, hostsOverlap, hostSyntaxError, isWildcard, serviceNamespaceOf } from './hosts.js';
export { parseDuration, durationError } from './duration.js';
