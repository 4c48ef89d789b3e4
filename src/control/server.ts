// Control plane assembly: store + registry + ingestion + ADS server + HTTP API wired into one `trellis control` process.
import type { XdsResource } from './translate/generator.js';
import os from 'node:os';
import { scrubbingLog } from '../common/scrub-keys.js';
import { ensureAdminToken, newAdminToken } from './auth/admin-token.js';
import { SharedAdminTokens } from './auth/shared-admin-tokens.js';
import type { SecretStore } from './cluster/secret-store.js';
import { readStoreKey, sealSecrets } from './cluster/sealed-secrets.js';
import { DEFAULT_TRUST_DOMAIN, IdentityTokenIssuer, loadIdentityTokenIssuer, sharedIdentityTokenIssuer } from './auth/identity-token.js';
import { ApiServer } from './http/server.js';
import { WorkloadRegistry, DEFAULT_REGISTRATION_GRACE_MS } from './registry/registry.js';
import { unconnectedProxies } from './registry/workload.js';
import { ReplicaDirectory } from './cluster/replica-directory.js';
import { Ingestion } from './snapshot/ingestion.js';
import { proxyNodeOf, SnapshotGenerator } from './snapshot/generator.js';
import { MetricsScraper } from './telemetry/scraper.js';
import { openSqliteStore } from './store/sqlite-store.js';
import type { ConfigStore } from './store/types.js';
import { AdsServer } from './xds/ads-server.js';
import { PilotMetrics } from './xds/metrics.js';
import type { CertificateAuthority } from './ca/authority.js';
import { addCertificateService } from './ca/ca-grpc.js';
import { RootRotation, RotationError } from './ca/rotation.js';
import type { EtcdStore } from './store/etcd/etcd-store.js';
import { ServingCertificate } from './xds/serving-cert.js';
import { streamAuthenticator, type StreamAuthenticator } from './xds/stream-auth.js';
import type * as grpc from '@grpc/grpc-js';
import { TapHub } from './tap/tap-hub.js';
import { addTapService } from './tap/tap-service.js';
import type { CaFiles } from './ca/material.js';
import type { MeshConfig } from '../api/mesh-config.js';
import { JwksResolver } from './security/jwks-resolver.js';
import { bindNamed } from '../common/port-in-use.js';
import { SoleLeader, whileLeading } from './cluster/leadership.js';
import type { EtcdConnection } from './store/etcd/client.js';

export const DEFAULT_METRICS_INTERVAL_MS = 5000;
export const DEFAULT_METRICS_RETENTION_MS = 30 * 60_000;

export interface ControlPlaneOptions {
  /** A ready store (tests pass createMemoryStore()); else etcd (`etcd`), else the SQLite store in `dataDir`. */
  store?: ConfigStore;
  /** Replicas sharing an etcd cluster (`--store etcd://…`): config log, registry leases and sealed secrets live there. */
  etcd?: EtcdReplicaOptions;
  /** This replica's name among the replicas (default host:http-port). */
  replicaId?: string;
  /** The secrets replicas share (CA root, token signing key, admin token hashes), used as given; else etcd's, sealed. */
  secrets?: SecretStore;
  dataDir?: string;
  /** Plaintext ADS (no authentication: proxyless gRPC and local experiments); served only when given. 0 = pick a free port. */
  xdsPort?: number;
  /** ADS and the CA over TLS with authenticated callers (default 15012). 0 = pick a free port. */
  xdsTlsPort?: number;
  httpPort?: number;
  host?: string;
  /** Quiet period before config/registry changes are rebuilt and pushed (Istio PILOT_DEBOUNCE_AFTER). */
  debounceMs?: number;
  /** How long a workload stays registered after its ADS stream is gone. */
  registrationGraceMs?: number;
  /** SPIFFE trust domain of the mesh's identities, in certificates and tokens (default cluster.local). */
  trustDomain?: string;
  /** An organisation's root or intermediate (Istio's cacerts files); else a root generated and kept in `dataDir`. */
  caFiles?: CaFiles;
  /** Istio MeshConfig (--mesh-config), already validated; its rootNamespace and trustDomain apply unless given here. */
  meshConfig?: MeshConfig;
  /** How often the proxies' Istio metrics are scraped (default 5 s; 0 = never) and how long they are kept (default 30 min). */
  metricsIntervalMs?: number;
  metricsRetentionMs?: number;
  /** A Prometheus file_sd target list of every connected proxy, kept current. */
  prometheusSdFile?: string;
  log?: (msg: string) => void;
}

export interface ControlPlane {
  /** The plaintext ADS port, when one was asked for. */
  readonly xdsPort: number | undefined;
  readonly xdsTlsPort: number;
  readonly httpPort: number;
  readonly host: string;
  readonly store: ConfigStore;
  readonly ads: AdsServer;
  readonly registry: WorkloadRegistry;
  readonly ingestion: Ingestion;
  readonly metrics: PilotMetrics;
  readonly ca: CertificateAuthority;
  /** The credential every API write needs; kept in `adminTokenPath` when there is a data dir, else only in memory. */
  readonly adminToken: string;
  readonly adminTokenPath?: string;
  readonly identityTokens: IdentityTokenIssuer;
  /** Stops serving and closes the store (only when it opened the store itself). */
  close(): Promise<void>;
}

export interface EtcdReplicaOptions extends EtcdConnection {
  prefix?: string;
  /** `--store-key-file`: seals the shared secrets kept in etcd. */
  sealKeyFile: string;
  /** `--history-revisions`: the leader compacts config history to the newest N revisions. */
  historyRevisions?: number;
}

/** How long a dead leader holds the replicas' periodic jobs (its election lease), and how often the leader runs them. */
const LEADER_TTL_S = 5;
const LEADER_JOB_INTERVAL_MS = 30_000;

export const DEFAULT_XDS_PORT = 15010;
export const DEFAULT_XDS_TLS_PORT = 15012;
export const DEFAULT_HTTP_PORT = 15014;

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // lines may quote resources or a proxy's NACK: private keys never reach the log
  const log = scrubbingLog(opts.log ?? (() => {}));
  const host = opts.host ?? '127.0.0.1';
  const ownStore = opts.store === undefined;
  const dataDir = opts.dataDir ?? (ownStore ? '.trellis' : undefined);
  const trustDomain = opts.trustDomain ?? opts.meshConfig?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  // etcd3 loads only for replicas that use it; the shared secrets are sealed before they reach etcd
  const sealKey = opts.etcd !== undefined ? readStoreKey(opts.etcd.sealKeyFile) : undefined;
  if (sealKey?.warning !== undefined) log(`control: ${sealKey.warning}`);
  const etcdStore = opts.store === undefined && opts.etcd !== undefined ? await (await import('./store/etcd/etcd-store.js')).EtcdStore.open({ ...opts.etcd, log }) : undefined;
  const secrets = opts.secrets ?? (etcdStore !== undefined && sealKey !== undefined ? sealSecrets(etcdStore.secrets, sealKey.key) : undefined);
  // secrets live beside the store; a control plane given a store and no data dir (tests) keeps them in memory
  // each replica keeps its own token; with shared secrets every replica's is accepted by all (SharedAdminTokens below)
  const admin = dataDir === undefined ? { token: newAdminToken(), path: undefined } : await ensureAdminToken(dataDir);
  const identityTokens =
    secrets !== undefined
      ? await sharedIdentityTokenIssuer(secrets, trustDomain, dataDir)
      : dataDir !== undefined
        ? (await loadIdentityTokenIssuer(dataDir, trustDomain)).issuer
        : await IdentityTokenIssuer.ephemeral(trustDomain);
  const store = opts.store ?? etcdStore ?? (await openSqliteStore({ dataDir: dataDir ?? '.trellis' }));
  const registry = new WorkloadRegistry(store, { graceMs: opts.registrationGraceMs ?? DEFAULT_REGISTRATION_GRACE_MS, log });
  const metrics = new PilotMetrics();
  let ready = false;

  // ingestion and the generator refer to each other through the ADS server: build the generator first, lazily reading the snapshot
  let ingestion: Ingestion | undefined;
  let ca: CertificateAuthority | undefined;
  const generator = new SnapshotGenerator(() => ingestion!.current());
  // ingestion already debounces (and merges registry and config changes); the server's own debounce would only add delay
  const ads = new AdsServer({ generator, debounceMs: 0, metrics, log });
  // decoded proto-JSON, the same shape translation produces
  const lastSent = (connId: string, typeUrl: string): XdsResource[] | undefined => ads.lastSent(connId, typeUrl) as XdsResource[] | undefined;
  const jwks = new JwksResolver({ log });
  ingestion = new Ingestion({
    store,
    jwks,
    registry,
    debounceMs: opts.debounceMs ?? 100,
    trustDomain,
    ...(opts.meshConfig !== undefined ? { mesh: opts.meshConfig, ...(opts.meshConfig.rootNamespace !== undefined ? { rootNamespace: opts.meshConfig.rootNamespace } : {}) } : {}),
    trustBundle: () => ca?.rootsPem() ?? '',
    push: (types) => ads.push({ types }),
    log,
  });

  const cleanups: Array<() => void | Promise<void>> = [];
  const close = async (): Promise<void> => {
    ready = false;
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        log(`control: shutdown step failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  try {
    if (ownStore) cleanups.push(() => store.close());
    cleanups.push(() => jwks.close());
    const { openCa } = await import('./ca/ca-state.js');
    const opened = await openCa({ trustDomain, files: opts.caFiles, dataDir, log, ...(secrets !== undefined ? { secrets } : {}) });
    const meshCa = opened.ca;
    ca = meshCa;
    const adminTokens = secrets !== undefined ? await SharedAdminTokens.open(admin.token, dataDir, secrets, log) : undefined;
    if (adminTokens !== undefined) cleanups.push(() => adminTokens.close());
    await registry.start();
    cleanups.push(() => registry.close());
    await ingestion.start();
    cleanups.push(() => ingestion!.close());
    cleanups.push(registry.attach(ads));
    cleanups.push(() => ads.close());
    const tapHub = new TapHub();
    const withTap = (auth?: StreamAuthenticator) => (server: grpc.Server): void => addTapService(server, { hub: tapHub, connected: () => ads.connected(), log }, auth);
    const xdsPort = opts.xdsPort !== undefined ? await bindNamed('--xds-port', opts.xdsPort, 'another trellis control', ads.listen(opts.xdsPort, host, undefined, withTap())) : undefined;
    // the authenticated port: a certificate from the mesh CA for this host, callers proven by certificate or token
    const serving = await ServingCertificate.start(meshCa, host, log);
    cleanups.push(() => serving.close());
    const auth = streamAuthenticator(identityTokens);
    const rotation = new RootRotation({
      ca: meshCa,
      ...(opened.persist !== undefined ? { persist: opened.persist } : {}),
      ...(opened.next !== undefined ? { next: opened.next } : {}),
      ...(opened.shared !== undefined ? { shared: opened.shared } : {}),
      trustChanged: async () => {
        ingestion!.trustBundleChanged();
        await serving.renew();
      },
      connected: () => ads.connected(),
      ...(opened.shared === undefined ? { disconnected: () => unconnectedProxies(registry.workloads(), ads.connected()) } : {}),
      lastSent,
      acked: (connId, typeUrl) => ads.proxies().some((p) => p.connId === connId && p.types.some((t) => t.typeUrl === typeUrl && t.status === 'SYNCED')),
      ...(etcdStore !== undefined && opened.shared !== undefined ? { acrossReplicas: rotationLock(etcdStore) } : {}),
      log,
    });
    // replicas sharing a store: another replica's rotation step reaches this one's CA, trust bundle and serving cert
    cleanups.push(rotation.followShared());
    const xdsTlsPort = await bindNamed('--xds-tls-port', opts.xdsTlsPort ?? DEFAULT_XDS_TLS_PORT, 'another trellis control', ads.listen(opts.xdsTlsPort ?? DEFAULT_XDS_TLS_PORT, host, serving.credentials(), (server) => {
      addCertificateService(server, meshCa, auth, log);
      withTap(auth)(server);
    }, auth));
    const interval = opts.metricsIntervalMs ?? DEFAULT_METRICS_INTERVAL_MS;
    const scraper =
      interval > 0 || opts.prometheusSdFile !== undefined
        ? new MetricsScraper({
            intervalMs: interval > 0 ? interval : DEFAULT_METRICS_INTERVAL_MS,
            scrape: interval > 0,
            retentionMs: opts.metricsRetentionMs ?? DEFAULT_METRICS_RETENTION_MS,
            targets: () => ads.connected().map((p) => ({ id: p.id, node: proxyNodeOf(p), peer: p.peer })),
            ...(opts.prometheusSdFile !== undefined ? { sdFile: opts.prometheusSdFile } : {}),
            log,
          })
        : undefined;
    if (scraper !== undefined) {
      scraper.start();
      cleanups.push(() => scraper.stop());
    }
    // replicas sharing etcd list themselves, so one answers mesh-wide questions by asking the others
    const directory = etcdStore !== undefined ? new ReplicaDirectory(store, log) : undefined;
    const api = new ApiServer(
      {
        store,
        registry,
        ads,
        lastSent,
        snapshot: () => ingestion!.current(),
        xdsMetrics: () => metrics.render(),
        ready: () => ready,
        ca: meshCa,
        discovery: { host, tlsPort: xdsTlsPort },
        rotation,
        ...(scraper !== undefined && interval > 0 ? { metrics: scraper.metrics } : {}),
        auth: { adminToken: adminTokens ?? admin.token, tokens: identityTokens },
        tap: tapHub,
        ...(directory !== undefined ? { replicas: { self: () => directory.id, peers: () => directory.peers(), token: admin.token } } : {}),
      },
      log,
    );
    const httpPort = await bindNamed('--http-port', opts.httpPort ?? DEFAULT_HTTP_PORT, 'another trellis control', api.listen(opts.httpPort ?? DEFAULT_HTTP_PORT, host));
    cleanups.push(() => api.close());
    const replicaId = opts.replicaId ?? `${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
    if (directory !== undefined) {
      // peers reach this API at --host; a wildcard bind is reached by the machine's name
      const reachable = host === '0.0.0.0' || host === '::' ? os.hostname() : host;
      await directory.join({ id: replicaId, api: `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${httpPort}` });
      cleanups.push(() => directory.close());
    }
    const leadership = etcdStore !== undefined ? etcdStore.leadership(replicaId, LEADER_TTL_S, log) : new SoleLeader(replicaId);
    leadership.start();
    cleanups.push(() => leadership.close());
    const keep = opts.etcd?.historyRevisions;
    if (etcdStore !== undefined && keep !== undefined) {
      const compact = async (): Promise<void> => {
        const floor = await etcdStore.compact(keep);
        if (floor !== undefined) log(`control: config history compacted: revisions before ${floor} are gone (--history-revisions ${keep})`);
      };
      cleanups.push(whileLeading(leadership, LEADER_JOB_INTERVAL_MS, compact, log));
    }
    ready = true;
    return { xdsPort, xdsTlsPort, httpPort, host, store, ads, registry, ingestion, metrics, ca: meshCa, adminToken: admin.token, ...(admin.path !== undefined ? { adminTokenPath: admin.path } : {}), identityTokens, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** How long a replica that died mid-step keeps the others from stepping (the lock's lease). */
const ROTATION_LOCK_TTL_S = 10;

/** Root-rotation steps across replicas: one at a time, the others told to try again (409). */
function rotationLock(store: EtcdStore): <T>(step: () => Promise<T>) => Promise<T> {
  return async (step) => {
    const r = await store.exclusively('ca-rotation', ROTATION_LOCK_TTL_S, step);
    if (!r.ran) throw new RotationError('another control-plane replica is taking a rotation step right now; try again');
    return r.value;
  };
}
