// E2E: `trellis control` runs the mesh CA — a root generated on first start and kept across restarts (key mode 0600), or an
// organisation's intermediate from cacerts files — and `trellis ca root` prints the trusted root in PEM.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, startControl, type Control } from './mesh-harness.js';

describe('the mesh CA in trellis control', () => {
  let dataDir: string;
  let dir: string;
  const controls: Control[] = [];

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-ca-data-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-ca-files-'));
  });
  after(async () => {
    for (const c of controls) await c.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(extraArgs: string[] = [], data = dataDir): Promise<Control> {
    const c = await startControl({ dataDir: data, keepDataDir: true, extraArgs });
    controls.push(c);
    return c;
  }

  it('generates a root on first start, prints it with `trellis ca root`, keeps it (key 0600) across a restart', async () => {
    const first = await start();
    assert.match(first.out(), /ca: generated a self-signed root for trust domain cluster\.local/);
    const printed = await cli(first, ['ca', 'root']);
    assert.equal(printed.code, 0, printed.stderr);
    const root = new X509Certificate(printed.stdout);
    assert.equal(root.ca, true);
    assert.match(root.subject, /O=cluster\.local/);
    assert.equal(fs.statSync(path.join(dataDir, 'ca', 'ca-key.pem')).mode & 0o777, 0o600);
    assert.doesNotMatch(first.out(), /PRIVATE KEY/);
    const metrics = await fetch(`${first.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /^citadel_server_root_cert_expiry_timestamp (\d+)$/m);
    assert.equal(Number(/^citadel_server_root_cert_expiry_timestamp (\d+)$/m.exec(metrics)![1]), Math.floor(Date.parse(root.validTo) / 1000));
    await first.stop();

    const second = await start();
    assert.match(second.out(), /ca: signing with the root kept in/);
    const again = await cli(second, ['ca', 'root']);
    assert.equal(new X509Certificate(again.stdout).fingerprint256, root.fingerprint256, 'the same root after a restart');
    await second.stop();
  });

  it('signs with an organisation intermediate given as --ca-cert/--ca-key/--root-cert/--cert-chain; bad files stop it with a reason', async () => {
    const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root-key.pem']);
    openssl(['req', '-x509', '-new', '-key', 'root-key.pem', '-subj', '/O=Example/CN=Example Root', '-days', '30', '-out', 'root-cert.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca-key.pem']);
    openssl(['req', '-new', '-key', 'ca-key.pem', '-subj', '/O=Example/CN=Mesh Intermediate', '-out', 'int.csr']);
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    openssl(['x509', '-req', '-in', 'int.csr', '-CA', 'root-cert.pem', '-CAkey', 'root-key.pem', '-CAcreateserial', '-days', '30', '-extfile', 'ext.cnf', '-out', 'ca-cert.pem']);
    fs.writeFileSync(path.join(dir, 'cert-chain.pem'), fs.readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8') + fs.readFileSync(path.join(dir, 'root-cert.pem'), 'utf8'));
    const f = (n: string): string => path.join(dir, n);
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-ca-org-'));
    try {
      const c = await start(['--trust-domain', 'example.org', '--ca-cert', f('ca-cert.pem'), '--ca-key', f('ca-key.pem'), '--root-cert', f('root-cert.pem'), '--cert-chain', f('cert-chain.pem')], data);
      assert.match(c.out(), /ca: signing with .*ca-cert\.pem \(trust domain example\.org\)/);
      const printed = await cli(c, ['ca', 'root']);
      assert.equal(new X509Certificate(printed.stdout).fingerprint256, new X509Certificate(fs.readFileSync(f('root-cert.pem'))).fingerprint256);
      assert.equal(fs.existsSync(path.join(data, 'ca')), false, 'nothing generated when the organisation signs');
      await c.stop();
      await assert.rejects(start(['--ca-cert', f('ca-cert.pem'), '--ca-key', f('root-key.pem'), '--root-cert', f('root-cert.pem')], data), /--ca-key .* is not the key of --ca-cert/);
      await assert.rejects(start(['--ca-cert', f('ca-cert.pem')], data), /--ca-cert, --ca-key and --root-cert must be given together/);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
