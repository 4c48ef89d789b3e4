// Network filters: loads every filter type (tests and tools that validate arbitrary configs; the proxy loads what its config names).
import { NETWORK_FILTER_MODULES } from './catalog.js';

await Promise.all(Object.values(NETWORK_FILTER_MODULES).map((load) => load()));
