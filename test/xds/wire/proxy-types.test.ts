// Tests the proxy's type list: every Envoy message the proxy's code names in a type URL, and the control plane can send, is in the wire descriptor.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeResource } from '../../../src/xds/codec.js';
import { lookupType } from '../../../src/xds/protos.js';
import { LISTENER_TYPE } from '../../../src/xds/type-urls.js';
import { wireDescriptor } from '../../../src/xds/wire/descriptor.js';
import { decodeWireResource } from '../../../src/xds/wire/resource.js';
import { validateListener } from '../../../src/proxy/config/validators.js';
import { formatErrors } from '../../../src/common/result.js';

const SRC_PROXY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../src/proxy');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Message names in type URLs written out in src/proxy (`type.googleapis.com/x.y.v3.Z` or `${TYPE_PREFIX}x.y.v3.Z`). */
function typesNamedInProxy(): Set<string> {
  const re = /(?:type\.googleapis\.com\/|\$\{TYPE_PREFIX\})([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\.[A-Z][A-Za-z0-9_]*)/g;
  const names = new Set<string>();
  for (const f of tsFiles(SRC_PROXY)) for (const m of fs.readFileSync(f, 'utf8').matchAll(re)) names.add(m[1]!);
  return names;
}

describe('the proxy message types (src/xds/proxy-types.ts)', () => {
  it('include every type the proxy names that the control plane can encode, so it never arrives opaque over xDS', () => {
    const named = typesNamedInProxy();
    assert.ok(named.size > 15, `found only ${named.size} type URLs under ${SRC_PROXY}`);
    const d = wireDescriptor();
    // a type the control plane's Root lacks cannot be sent over xDS at all (then it is the control plane's gap, not this list's)
    const missing = [...named].filter((n) => lookupType(n) !== undefined && d.lookup(n) === undefined);
    assert.deepEqual(missing, [], `add these to PROXY_MESSAGE_TYPES: ${missing.join(', ')}`);
  });

  it('decode listener filters (named through a template in listener.ts) into configs the listener validator accepts', () => {
    const listener = {
      name: 'l',
      address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
      listener_filters: ['tls_inspector/TlsInspector', 'http_inspector/HttpInspector'].map((s) => {
        const [kind, msg] = s.split('/');
        return { name: `envoy.filters.listener.${kind}`, typed_config: { '@type': `type.googleapis.com/envoy.extensions.filters.listener.${kind}.v3.${msg}` } };
      }),
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 's', cluster: 'c' } }] }],
    };
    const json = decodeWireResource(encodeResource(LISTENER_TYPE, listener)).json;
    const r = validateListener(json, 'l');
    assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
  });
});
