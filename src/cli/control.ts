// CLI: `trellis control` — runs the control plane (config store, registry, ADS on --xds-port, HTTP API on --http-port) until SIGTERM.
import type { Command } from 'commander';
import { loadMeshConfigFlag } from './mesh-config.js';
import { parseDuration } from '../api/duration.js';
import { DEFAULT_HTTP_PORT, DEFAULT_XDS_PORT, DEFAULT_XDS_TLS_PORT, startControlPlane, type ControlPlaneOptions } from '../control/server.js';
import type { CaFiles } from '../control/ca/material.js';
import { DEFAULT_REGISTRATION_GRACE_MS } from '../control/registry/registry.js';
import { DEFAULT_TRUST_DOMAIN, validTrustDomain } from '../control/auth/identity-token.js';

interface ControlFlags {
  dataDir: string;
  xdsPort: string;
  xdsTlsPort: string;
  insecureXds?: boolean;
  httpPort: string;
  host: string;
  debounceMs: string;
  registrationGrace: string;
  trustDomain: string;
  caCert?: string;
  caKey?: string;
  rootCert?: string;
  certChain?: string;
  meshConfig?: string;
  metricsInterval: string;
  metricsRetention: string;
  prometheusSdFile?: string;
  store?: string;
  storeKeyFile?: string;
  storePrefix: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPassword?: string;
  historyRevisions?: string;
  replicaId?: string;
}

/** `--store etcd://…` and its etcdctl-style options (env TRELLIS_ETCD_PASSWORD keeps the password off the command line). */
function etcdStore(f: ControlFlags): ControlPlaneOptions['etcd'] {
  const given = [f.storeKeyFile, f.etcdCacert, f.etcdCert, f.etcdKey, f.etcdUser, f.etcdPassword, f.historyRevisions].some((v) => v !== undefined);
  if (f.store === undefined || f.store === 'sqlite') {
    if (given) throw new Error('--store-key-file, --history-revisions and the --etcd-* options need --store etcd://host:port[,host:port…]');
    return undefined;
  }
  if (f.storeKeyFile === undefined) throw new Error('--store etcd:// needs --store-key-file: the mesh CA key and the token signing key are kept in etcd encrypted with it (32 random bytes, e.g. `openssl rand -hex 32 > store.key`), the same file on every replica');
  const password = f.etcdPassword ?? process.env['TRELLIS_ETCD_PASSWORD'];
  let history: number | undefined;
  if (f.historyRevisions !== undefined) {
    history = Number(f.historyRevisions);
    if (!/^\d+$/.test(f.historyRevisions) || history < 1) throw new Error(`--history-revisions must be a positive integer, got "${f.historyRevisions}"`);
  }
  return {
    url: f.store,
    prefix: f.storePrefix,
    sealKeyFile: f.storeKeyFile,
    ...(f.etcdCacert !== undefined ? { caFile: f.etcdCacert } : {}),
    ...(f.etcdCert !== undefined ? { certFile: f.etcdCert } : {}),
    ...(f.etcdKey !== undefined ? { keyFile: f.etcdKey } : {}),
    ...(f.etcdUser !== undefined ? { user: f.etcdUser } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(history !== undefined ? { historyRevisions: history } : {}),
  };
}

/** --ca-cert, --ca-key and --root-cert come together (--cert-chain too when an intermediate signs), as Istio's cacerts. */
function caFiles(f: ControlFlags): CaFiles | undefined {
  const given = [f.caCert, f.caKey, f.rootCert, f.certChain].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (f.caCert === undefined || f.caKey === undefined || f.rootCert === undefined) throw new Error('--ca-cert, --ca-key and --root-cert must be given together (and --cert-chain for an intermediate)');
  return { caCert: f.caCert, caKey: f.caKey, rootCert: f.rootCert, ...(f.certChain !== undefined ? { certChain: f.certChain } : {}) };
}


function port(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new Error(`${flag} must be a port number (0 = pick a free one), got "${v}"`);
  return n;
}

/** `10s`, `500ms`, `1m`, or a bare number of seconds. */
function duration(v: string, flag: string): number {
  const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : parseDuration(v);
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) throw new Error(`${flag} must be a positive duration like "10s" or "500ms", got "${v}"`);
  return Math.round(ms);
}

export function registerControlCommand(program: Command): void {
  program
    .command('control')
    .description('run the control plane: config store with revisions, service registry, ADS (xDS) server and HTTP API')
    .option('--data-dir <dir>', 'directory of the config store (SQLite), the admin token and the token-signing key', './.trellis')
    .option('--xds-tls-port <port>', 'ADS and CA over TLS; callers prove their identity with a token or a mesh certificate (0 = pick a free port)', String(DEFAULT_XDS_TLS_PORT))
    .option('--insecure-xds', 'also serve ADS in plaintext on --xds-port, with no authentication (proxyless gRPC, local experiments)')
    .option('--xds-port <port>', 'plaintext ADS port, served only with --insecure-xds (0 = pick a free port)', String(DEFAULT_XDS_PORT))
    .option('--http-port <port>', 'HTTP API and metrics port (0 = pick a free port)', String(DEFAULT_HTTP_PORT))
    .option('--host <addr>', 'address both servers bind to', '127.0.0.1')
    .option('--debounce-ms <ms>', 'quiet period before changes are pushed', '100')
    .option('--registration-grace <duration>', 'how long a workload stays registered after its proxy disconnects', `${DEFAULT_REGISTRATION_GRACE_MS / 1000}s`)
    .option('--trust-domain <domain>', 'SPIFFE trust domain of the mesh identities (certificates and tokens)', DEFAULT_TRUST_DOMAIN)
    .option('--ca-cert <file>', 'signing certificate of an organisation root or intermediate (Istio cacerts: ca-cert.pem)')
    .option('--ca-key <file>', 'its private key (ca-key.pem)')
    .option('--root-cert <file>', 'the root(s) the mesh trusts (root-cert.pem)')
    .option('--cert-chain <file>', 'ca-cert.pem followed by the intermediates up to the root (cert-chain.pem)')
    .option('--mesh-config <file>', "Istio MeshConfig YAML (trustDomain, rootNamespace, extensionProviders, outboundTrafficPolicy, defaultConfig); invalid = no start")
    .option('--metrics-interval <duration>', "how often the proxies' Istio metrics are scraped for the graph, `trellis top` and the dashboard (0 = never)", '5s')
    .option('--metrics-retention <duration>', 'how long the gathered metrics are kept (the longest window a query may ask for)', '30m')
    .option('--prometheus-sd-file <file>', 'keep a Prometheus file_sd target list of every connected proxy here (for file_sd_configs)')
    .option('--store <url>', 'where config, registry and shared secrets live: sqlite (in --data-dir, one replica) or etcd://host:port[,host:port…] (etcds:// for TLS) shared by several replicas', 'sqlite')
    .option('--store-key-file <file>', 'with etcd: the 32-byte key that encrypts the shared CA and token-signing keys in etcd (the same file on every replica)')
    .option('--store-prefix <prefix>', 'with etcd: the key prefix of this mesh', '/trellis/')
    .option('--etcd-cacert <file>', 'with etcd: CA bundle that verifies the etcd members (switches to TLS)')
    .option('--etcd-cert <file>', 'with etcd: client certificate (with --etcd-key)')
    .option('--etcd-key <file>', 'with etcd: client private key')
    .option('--etcd-user <user[:password]>', 'with etcd: user name (and password; or --etcd-password or env TRELLIS_ETCD_PASSWORD)')
    .option('--etcd-password <password>', 'with etcd: password for --etcd-user')
    .option('--history-revisions <n>', 'with etcd: keep the newest N config revisions (the leader compacts older history); default: keep all')
    .option('--replica-id <name>', 'this replica\'s name among the replicas (default: host:http-port)')
    .action(async (flags: ControlFlags, cmd: Command) => {
      const mesh = await loadMeshConfigFlag(flags.meshConfig, cmd.getOptionValueSource('trustDomain') === 'default' ? undefined : flags.trustDomain);
      if (mesh !== undefined) flags.trustDomain = mesh.trustDomain;
      if (!validTrustDomain(flags.trustDomain)) throw new Error(`--trust-domain must be lower-case letters, digits, '.', '-' or '_', got "${flags.trustDomain}"`);
      const files = caFiles(flags);
      const debounceMs = Number(flags.debounceMs);
      if (!/^\d+$/.test(flags.debounceMs)) throw new Error(`--debounce-ms must be a non-negative integer, got "${flags.debounceMs}"`);
      const etcd = etcdStore(flags);
      const cp = await startControlPlane({
        dataDir: flags.dataDir,
        ...(flags.insecureXds === true ? { xdsPort: port(flags.xdsPort, '--xds-port') } : {}),
        xdsTlsPort: port(flags.xdsTlsPort, '--xds-tls-port'),
        httpPort: port(flags.httpPort, '--http-port'),
        host: flags.host,
        debounceMs,
        registrationGraceMs: duration(flags.registrationGrace, '--registration-grace'),
        trustDomain: flags.trustDomain,
        ...(files !== undefined ? { caFiles: files } : {}),
        ...(mesh !== undefined ? { meshConfig: mesh.config } : {}),
        metricsIntervalMs: flags.metricsInterval === '0' ? 0 : duration(flags.metricsInterval, '--metrics-interval'),
        metricsRetentionMs: duration(flags.metricsRetention, '--metrics-retention'),
        ...(flags.prometheusSdFile !== undefined ? { prometheusSdFile: flags.prometheusSdFile } : {}),
        ...(etcd !== undefined ? { etcd } : {}),
        ...(flags.replicaId !== undefined ? { replicaId: flags.replicaId } : {}),
        log: (msg) => void process.stderr.write(`${msg}\n`),
      });
      // the path only: the token itself is never printed or logged
      if (cp.xdsPort !== undefined) {
        process.stderr.write(`WARNING: --insecure-xds: ADS on ${cp.host}:${cp.xdsPort} is plaintext and unauthenticated; anyone who reaches it can read the mesh config and register as any workload\n`);
      }
      process.stdout.write(
        `admin token: ${cp.adminTokenPath ?? '(in memory)'}\n` +
          (cp.xdsPort !== undefined ? `xds listening on ${cp.host}:${cp.xdsPort}\n` : '') +
          `xds-tls listening on ${cp.host}:${cp.xdsTlsPort}\nhttp listening on ${cp.host}:${cp.httpPort}\n` +
          `dashboard: http://${cp.host.includes(':') ? `[${cp.host}]` : cp.host}:${cp.httpPort}/ (sign in with the admin token)\n`,
      );
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          cp.close().then(resolve, (e: unknown) => {
            process.stderr.write(`trellis control: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
            resolve();
          });
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      process.exit(0);
    });
}
