// E2E: an Istio sample as it ships (Services with their ServiceAccounts, Deployments and a kind with no meaning here)
// applies through a real `trellis control`: the workload kinds are stored and listed by `get`, the rest is skipped
// with one line each, and proxies' config is untouched by them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SERVICES, WORKLOADS } from '../api/bookinfo.js';
import { applyYaml, cli, startControl, type Control } from './mesh-harness.js';

describe('Istio samples apply as they are', { timeout: 60_000 }, () => {
  let control: Control;
  before(async () => {
    control = await startControl();
  });
  after(async () => {
    await control?.stop();
  });

  it('stores ServiceAccounts, Namespaces and Deployments beside the Services, and skips a ConfigMap by name', async () => {
    const r = await applyYaml(control, `${SERVICES}\n---\n${WORKLOADS}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^service\/reviews created$/m);
    assert.match(r.stdout, /^serviceaccount\/bookinfo-reviews created$/m);
    assert.match(r.stdout, /^deployment\.apps\/reviews-v2 created$/m);
    assert.match(r.stdout, /^namespace\/bookinfo created$/m);
    assert.match(r.stdout, /^configmap\/reviews-settings skipped: ConfigMap has no meaning in a Trellis mesh$/m);
    assert.match(r.stdout, /^revision \d+$/m);

    const deploy = await cli(control, ['get', 'deploy', '-o', 'wide']);
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.match(deploy.stdout, /^NAME\s+REPLICAS\s+SERVICE ACCOUNT\s+PORTS\s+AGE\s+LABELS$/m);
    assert.match(deploy.stdout, /^reviews-v2\s+1\s+bookinfo-reviews\s+9080\/TCP\s+\d+s\s+app=reviews,version=v2$/m, "AGE from the creationTimestamp the server set");
    const sa = await cli(control, ['get', 'sa']);
    assert.match(sa.stdout, /^bookinfo-reviews\s/m);
    const yaml = await cli(control, ['get', 'deployment', 'reviews-v2', '-o', 'yaml']);
    assert.match(yaml.stdout, /image: example\.test\/reviews-v2:1\.0/, 'the template is kept as given');

    const again = await applyYaml(control, `${SERVICES}\n---\n${WORKLOADS}`);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^deployment\.apps\/reviews-v2 unchanged$/m);
    assert.match(again.stdout, /\(nothing changed\)/);
  });

  it('an Istio kind trellis does not serve, or an unknown kind, still fails the whole apply', async () => {
    const r = await applyYaml(control, `${WORKLOADS}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown kind "Widget"/);
  });
});
