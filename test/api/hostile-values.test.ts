// API: hostile values (objects whose toString is not a function) in any resource get errors naming the field, never a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources } from '../../src/api/load.js';

test('hostile values in resources (objects whose toString is not a function) get errors, never a throw', () => {
  const evil = '{"toString": ""}';
  for (const text of [
    `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec: {selector: {matchLabels: {"": ${evil}, "x*": ${evil}}}}\n`,
    `apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: ${evil}, protocol: ${evil}}, {port: ${evil}, protocol: ${evil}}]}\n`,
    `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: SIMPLE, credentialName: ${evil}, serverCertificate: /x}}]}\n`,
  ]) {
    const r = loadResources(text);
    assert.equal(r.ok, false, text);
  }
});
