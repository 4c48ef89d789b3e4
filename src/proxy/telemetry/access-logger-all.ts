// Telemetry: loads every extension access logger (tests and tools that validate arbitrary configs; the proxy loads
// what its config names).
import { ACCESS_LOGGER_MODULES } from './access-logger-catalog.js';

await Promise.all(ACCESS_LOGGER_MODULES.map((m) => m.load()));
