// Tests for filter chain selection: Envoy's step order, most-specific-wins and no backtracking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileChainMatch, selectFilterChain, type ConnectionProps } from '../../../src/proxy/listener/filter-chain-match.js';
import { ipBytes } from '../../../src/proxy/listener/cidr.js';
import { match } from './builders.js';
import type { FilterChainMatch } from '../../../src/proxy/config/types.js';

const chains = (...ms: [string, Partial<FilterChainMatch> | undefined][]) =>
  ms.map(([name, m]) => ({ name, match: compileChainMatch(m ? match(m) : undefined) }));

function conn(over: Partial<Omit<ConnectionProps, 'destinationIp' | 'sourceIp' | 'directSourceIp'>> & { dst?: string; src?: string } = {}): ConnectionProps {
  const { dst = '10.0.0.1', src = '192.168.1.5', ...rest } = over;
  return {
    destinationPort: 8080,
    destinationIp: ipBytes(dst),
    transportProtocol: 'raw_buffer',
    applicationProtocols: [],
    directSourceIp: ipBytes(src),
    sourceIp: ipBytes(src),
    sourcePort: 40000,
    ...rest,
  };
}

const pick = (cs: ReturnType<typeof chains>, c: ConnectionProps): string | undefined => selectFilterChain(cs, c)?.name;

test('server names: exact, then longest wildcard, then chains without server_names', () => {
  const cs = chains(['any', {}], ['wild-com', { server_names: ['*.com'] }], ['wild', { server_names: ['*.example.com'] }], ['exact', { server_names: ['www.example.com'] }]);
  assert.equal(pick(cs, conn({ serverName: 'www.example.com' })), 'exact');
  assert.equal(pick(cs, conn({ serverName: 'api.example.com' })), 'wild');
  assert.equal(pick(cs, conn({ serverName: 'a.b.example.com' })), 'wild');
  assert.equal(pick(cs, conn({ serverName: 'foo.com' })), 'wild-com');
  assert.equal(pick(cs, conn({ serverName: 'foo.org' })), 'any');
  assert.equal(pick(cs, conn({})), 'any');
  assert.equal(pick(chains(['sni', { server_names: ['a.com'] }]), conn({})), undefined);
});

test('destination port then destination IP, most specific prefix wins', () => {
  const cs = chains(['noport', {}], ['port', { destination_port: 8080 }], ['other', { destination_port: 9090 }]);
  assert.equal(pick(cs, conn()), 'port');
  assert.equal(pick(cs, conn({ destinationPort: 7070 })), 'noport');
  const ips = chains(['wide', { prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] }], ['narrow', { prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 24 }] }], ['none', {}]);
  assert.equal(pick(ips, conn({ dst: '10.0.0.9' })), 'narrow');
  assert.equal(pick(ips, conn({ dst: '10.9.0.9' })), 'wide');
  assert.equal(pick(ips, conn({ dst: '11.0.0.1' })), 'none');
  assert.equal(pick(ips, conn({ dst: '::ffff:10.0.0.9' })), 'narrow'); // IPv4-mapped folds to IPv4
});

test('no backtracking: the port-specific chain wins even if it then fails on SNI', () => {
  const cs = chains(['port-sni', { destination_port: 8080, server_names: ['a.com'] }], ['fallback', {}]);
  assert.equal(pick(cs, conn({ serverName: 'b.com' })), undefined);
  assert.equal(pick(cs, conn({ serverName: 'a.com' })), 'port-sni');
});

test('transport protocol and application protocols', () => {
  const cs = chains(['tls-h2', { transport_protocol: 'tls', application_protocols: ['h2'] }], ['tls', { transport_protocol: 'tls' }], ['raw', { transport_protocol: 'raw_buffer' }]);
  assert.equal(pick(cs, conn({ transportProtocol: 'tls', applicationProtocols: ['h2', 'http/1.1'] })), 'tls-h2');
  assert.equal(pick(cs, conn({ transportProtocol: 'tls', applicationProtocols: ['http/1.1'] })), 'tls');
  assert.equal(pick(cs, conn()), 'raw');
  // the connection's first protocol that any chain wants wins
  const alpn = chains(['h1', { application_protocols: ['http/1.1'] }], ['h2', { application_protocols: ['h2'] }]);
  assert.equal(pick(alpn, conn({ applicationProtocols: ['h2', 'http/1.1'] })), 'h2');
  assert.equal(pick(alpn, conn({ applicationProtocols: ['http/1.1', 'h2'] })), 'h1');
});

test('source type, source prefix, source ports, direct source prefix', () => {
  const types = chains(['local', { source_type: 'SAME_IP_OR_LOOPBACK' }], ['ext', { source_type: 'EXTERNAL' }]);
  assert.equal(pick(types, conn({ src: '127.0.0.1' })), 'local');
  assert.equal(pick(types, conn({ src: '10.0.0.1', dst: '10.0.0.1' })), 'local');
  assert.equal(pick(types, conn({ src: '192.168.1.5' })), 'ext');
  const src = chains(['lan', { source_prefix_ranges: [{ address_prefix: '192.168.0.0', prefix_len: 16 }] }], ['host', { source_prefix_ranges: [{ address_prefix: '192.168.1.5', prefix_len: 32 }] }], ['all', {}]);
  assert.equal(pick(src, conn()), 'host');
  assert.equal(pick(src, conn({ src: '192.168.7.7' })), 'lan');
  assert.equal(pick(src, conn({ src: '172.16.0.1' })), 'all');
  const ports = chains(['p', { source_ports: [40000, 40001] }], ['any', {}]);
  assert.equal(pick(ports, conn()), 'p');
  assert.equal(pick(ports, conn({ sourcePort: 5 })), 'any');
  const direct = chains(['d', { direct_source_prefix_ranges: [{ address_prefix: '192.168.1.0', prefix_len: 24 }] }], ['any', {}]);
  assert.equal(pick(direct, conn()), 'd');
  const v6 = chains(['v6', { source_prefix_ranges: [{ address_prefix: 'fd00::', prefix_len: 8 }] }]);
  assert.equal(pick(v6, conn({ src: 'fd12:3456::1' })), 'v6');
  assert.equal(pick(v6, conn({ src: 'fe80::1' })), undefined);
});
