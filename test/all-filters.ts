// Tests: loads every HTTP and network filter type and every extension access logger, for tests that validate configs
// directly (the proxy itself loads only the modules its config names: src/proxy/config/filter-modules.ts).
import '../src/proxy/http/filters/all.js';
import '../src/proxy/network/filters/all.js';
import '../src/proxy/telemetry/access-logger-all.js';
