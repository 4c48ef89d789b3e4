// Admin: GET /runtime (layers and values, as Envoy prints them) and POST /runtime_modify (the admin runtime layer).
import type { Endpoint, Reply } from './admin-server.js';
import type { RuntimeDump } from '../runtime-config/runtime.js';
import { NoAdminLayerError } from '../runtime-config/runtime.js';
import { toJson } from './to-json.js';

/** What the admin server needs from the runtime (in a multi-process proxy, the primary's view that also tells the workers). */
export interface RuntimeAdmin {
  dump(): RuntimeDump;
  /** Throws NoAdminLayerError when the runtime has no admin layer. */
  mergeAdminValues(values: [string, string][]): void;
}

const TEXT = 'text/plain; charset=UTF-8';
const text = (body: string, status = 200): Reply => ({ status, type: TEXT, body });

const USAGE = 'usage: /runtime_modify?key1=value1&key2=value2&keyN=valueN\n       an empty value removes a previously added override\n';

export function runtimeEndpoints(runtime: RuntimeAdmin): Record<string, Endpoint> {
  return {
    '/runtime': {
      help: 'print runtime values (layers, and per key each layer\'s value and the final one)',
      post: false,
      run: () => ({ status: 200, type: 'application/json', body: `${toJson(runtime.dump())}\n` }),
    },
    '/runtime_modify': {
      help: 'set runtime overrides in the admin layer (?key=value&…; an empty value removes one)',
      post: true,
      run: (q) => {
        const values = [...q.entries()];
        if (values.length === 0) return text(USAGE, 400);
        try {
          runtime.mergeAdminValues(values);
        } catch (e) {
          if (e instanceof NoAdminLayerError) return text(`${e.message}\n`, 503);
          throw e;
        }
        return text('OK\n');
      },
    },
  };
}
