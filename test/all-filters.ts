// Tests: loads every HTTP and network filter type, for tests that validate configs directly (the proxy itself loads
// only the filters its config names: src/proxy/config/filter-modules.ts).
import '../src/proxy/http/filters/all.js';
import '../src/proxy/network/filters/all.js';
