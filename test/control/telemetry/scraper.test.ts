// Telemetry tests: which address the control plane scrapes — the ADS stream's peer, never the INSTANCE_IPS a proxy claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode } from '../../../src/control/model/builders.js';
import { peerHost, sdTargets } from '../../../src/control/telemetry/scraper.js';

test('peerHost reads the host of grpc-js peer strings, v4 and v6, with or without a family prefix', () => {
  assert.equal(peerHost('127.0.0.1:53522'), '127.0.0.1');
  assert.equal(peerHost('ipv4:10.1.2.3:1'), '10.1.2.3');
  assert.equal(peerHost('[::1]:53522'), '::1');
  assert.equal(peerHost('ipv6:[fe80::1]:9'), 'fe80::1');
  assert.equal(peerHost('unix:/tmp/sock'), undefined);
  assert.equal(peerHost('evil.example:80'), undefined, 'a name is never scraped');
});

test('the scrape target is the stream peer at the announced port; the announced INSTANCE_IPS is ignored', () => {
  const node = { ...proxyNode({ serviceName: 'reviews', labels: { app: 'reviews', version: 'v1' } }), ip: '169.254.169.254', prometheusPort: 15090 };
  const groups = sdTargets([{ id: 'sidecar~x', node, peer: '10.0.0.7:40000' }]) as { targets: string[] }[];
  assert.deepEqual(groups[0]!.targets, ['10.0.0.7:15090']);
  assert.deepEqual(sdTargets([{ id: 'v6', node, peer: '[fd00::7]:1' }]).map((g) => (g as { targets: string[] }).targets[0]), ['[fd00::7]:15090']);
});
