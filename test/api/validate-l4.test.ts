// Tests for the API validate stage: tcp/tls route rules (destinations, gateway names, SNI within hosts), Sidecar egress ports (unique, not the sidecar's, protocol, bind), HTTPS mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from '../../src/api/parse.js';
import { validateResource } from '../../src/api/validate.js';
import { formatErrors } from '../../src/common/result.js';

function errorsOf(kind: string, spec: string): string[] {
  const r = parseResources(`apiVersion: networking.istio.io/v1\nkind: ${kind}\nmetadata: {name: x}\nspec:\n${spec.replace(/^/gm, '  ')}`);
  assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
  return validateResource(r.value[0]!).map((e) => `${e.field}: ${e.reason}`);
}

function expectError(lines: string[], path: string, reason: string | RegExp): void {
  const hit = lines.some((l) => l.startsWith(`${path}: `) && (typeof reason === 'string' ? l.slice(path.length + 2) === reason : reason.test(l)));
  assert.ok(hit, `expected ${path}: ${String(reason)}\ngot:\n${lines.join('\n')}`);
}

test('tcp and tls routes: destinations, match gateway names and SNI hosts within the VirtualService hosts', () => {
  const lines = errorsOf(
    'VirtualService',
    `hosts: ["*.example.com"]
gateways: [gw]
tcp:
- match: [{gateways: ["a/b/c"]}]
  route: [{destination: {host: "*"}}]
tls:
- match: [{sniHosts: [a.example.com, other.org]}]
  route: [{destination: {host: a.internal, subset: V1}}]`,
  );
  expectError(lines, 'spec.tcp[0].match[0].gateways[0]', /invalid gateway name "a\/b\/c"/);
  expectError(lines, 'spec.tcp[0].route[0].destination.host', 'invalid destination host *');
  expectError(lines, 'spec.tls[0].match[0].sniHosts[1]', 'SNI host "other.org" is not a compatible subset of any of the virtual service hosts: [*.example.com]');
  expectError(lines, 'spec.tls[0].route[0].destination.subset', /is not a valid DNS-1123 label/);
  assert.ok(!lines.some((l) => l.startsWith('spec.tls[0].match[0].sniHosts[0]')), lines.join('\n'));
});

test('Sidecar egress ports: unique, not a sidecar port, with a protocol; bind needs a port and an IP', () => {
  const lines = errorsOf(
    'Sidecar',
    `egress:
- port: {number: 9000, protocol: TCP}
  hosts: ["./a"]
- port: {number: 9000, protocol: TLS}
  hosts: ["./b"]
- port: {number: 15001, protocol: HTTP}
  hosts: ["./c"]
- port: {number: 9100}
  bind: localhost
  hosts: ["./d"]
- hosts: ["./*"]
  bind: 127.0.0.1`,
  );
  expectError(lines, 'spec.egress[1].port.number', 'port 9000 is already used by spec.egress[0] (ports of egress listeners must be unique)');
  expectError(lines, 'spec.egress[2].port.number', "port 15001 is the sidecar's outbound port; an egress listener there could never bind");
  expectError(lines, 'spec.egress[3].port.protocol', 'protocol is required for an egress listener port');
  expectError(lines, 'spec.egress[3].bind', 'bind "localhost" must be an IP address (or unix://path)');
  expectError(lines, 'spec.egress[4].bind', 'bind requires a port');
  assert.deepEqual(errorsOf('Sidecar', 'egress:\n- port: {number: 9000, protocol: TCP}\n  bind: 127.0.0.2\n  hosts: ["./a"]\n- hosts: ["./*"]'), []);
});

test('PASSTHROUGH (or no mode) is valid on HTTPS and TLS servers, as in Istio\'s SNI-passthrough task; not on plaintext ones', () => {
  assert.deepEqual(errorsOf('Gateway', 'servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [nginx.example.com]\n  tls: {mode: PASSTHROUGH}'), []);
  assert.deepEqual(errorsOf('Gateway', 'servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {}'), []);
  assert.deepEqual(errorsOf('Gateway', 'servers:\n- port: {number: 443, name: tls, protocol: TLS}\n  hosts: [a.example.com]\n  tls: {mode: PASSTHROUGH}'), []);
  expectError(errorsOf('Gateway', 'servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.example.com]\n  tls: {mode: PASSTHROUGH}'), 'spec.servers[0].tls.mode', 'PASSTHROUGH requires port protocol TLS or HTTPS');
});
