// HTTP filters: loads every filter type (tests and tools that validate arbitrary configs; the proxy loads what its config names).
import { HTTP_FILTER_MODULES } from './catalog.js';

await Promise.all(Object.values(HTTP_FILTER_MODULES).map((load) => load()));
