// Tests the config stage's filter module loading: only the filters a config names are loaded (this file does not load them all).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadFilterModules } from '../../../src/proxy/config/filter-modules.js';
import { httpFilterByName, httpFilterByType } from '../../../src/proxy/http/filter/registry.js';
import { networkFilterByName } from '../../../src/proxy/network/registry.js';
import { accessLoggerByName, accessLoggerByType } from '../../../src/proxy/telemetry/access-logger-registry.js';

describe('filter modules', () => {
  it('loads the filters a config names by name, deprecated name or type URL, and nothing else', async () => {
    assert.equal(httpFilterByName('envoy.filters.http.jwt_authn'), undefined, 'nothing is loaded up front');
    const yaml = `http_filters:
  - name: envoy.filters.http.jwt_authn
    typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication}
  - name: envoy.router
filters:
  - name: tcp_rbac
    typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC}`;
    const load = loadFilterModules([yaml]);
    assert.ok(load !== null);
    await load;
    assert.ok(httpFilterByName('envoy.filters.http.jwt_authn') !== undefined);
    assert.ok(httpFilterByName('envoy.filters.http.router') !== undefined, 'deprecated envoy.router');
    assert.ok(networkFilterByName('envoy.filters.network.rbac') !== undefined);
    assert.equal(httpFilterByName('envoy.filters.http.rbac'), undefined, 'a network type URL loads the network filter only');
    assert.equal(httpFilterByName('envoy.filters.http.lua'), undefined);
    assert.equal(loadFilterModules([yaml]), null, 'loaded once');
  });

  it('finds type URLs in protobuf bytes read as latin1 (an Any inside an Any), and in per-route types', async () => {
    const url = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute';
    const bytes = Buffer.concat([Buffer.from([0x0a, url.length]), Buffer.from(url), Buffer.from([0x12, 3, 0xff, 0xfe, 0x00])]);
    await loadFilterModules([bytes.toString('latin1')]);
    assert.ok(httpFilterByType('type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua') !== undefined);
    assert.equal(loadFilterModules(['envoy.filters.http.no_such_filter, envoy.extensions.something.else']), null, 'unknown names load nothing');
  });

  it('loads the gRPC access loggers only for a config that names them (type URL or logger name)', async () => {
    assert.equal(loadFilterModules(['access_log: [{name: envoy.access_loggers.file}]']), null, 'a file logger loads nothing');
    await import('../../../src/proxy/proxy.js');
    assert.equal(accessLoggerByName('envoy.access_loggers.http_grpc'), undefined, 'the proxy does not load it by itself');
    const url = 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig';
    const bytes = Buffer.concat([Buffer.from([0x0a, url.length]), Buffer.from(url)]);
    await loadFilterModules([bytes.toString('latin1')]);
    assert.ok(accessLoggerByType(url) !== undefined);
    assert.ok(accessLoggerByName('envoy.access_loggers.http_grpc') !== undefined, 'one module, both loggers');
    assert.equal(loadFilterModules(['envoy.http_grpc_access_log']), null, 'loaded once');
  });

  it("loads Istio's istio.stats (HTTP and TCP) and istio.metadata_exchange by their config types", async () => {
    assert.equal(networkFilterByName('istio.metadata_exchange'), undefined);
    const yaml = `filters:
  - name: istio.metadata_exchange
    typed_config: {"@type": type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange, protocol: istio-peer-exchange}
  - name: istio.stats
    typed_config: {"@type": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: type.googleapis.com/stats.PluginConfig}`;
    await loadFilterModules([yaml]);
    assert.ok(networkFilterByName('istio.metadata_exchange') !== undefined);
    assert.ok(networkFilterByName('istio.stats') !== undefined, 'the TCP istio.stats');
    assert.ok(httpFilterByName('istio.stats') !== undefined, 'and the HTTP one');
  });
});
