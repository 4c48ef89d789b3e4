// etcd store: the `--store etcd://host:port[,host:port…]` address and etcdctl-style TLS/auth options, turned into an etcd3
// client; and etcd3's errors turned into the store's (an unreachable cluster is UNAVAILABLE, never a crash).
import { readFileSync } from 'node:fs';
import { Etcd3, EtcdLeaseInvalidError, GRPCGenericError, type IOptions } from 'etcd3';
import { StoreError } from '../errors.js';

export interface EtcdConnection {
  /** `etcd://h:p[,h:p…]`, or `etcds://…` for TLS with the system roots (a CA file also switches TLS on). */
  url: string;
  /** etcdctl's --cacert / --cert / --key (PEM files). */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** etcdctl's --user (`name` or `name:password`) and --password. */
  user?: string;
  password?: string;
  /** Deadline of every single request; a partitioned replica fails its writes after it rather than hanging. */
  requestTimeoutMs?: number;
}

export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 5000;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/** The member addresses in a store URL; throws a message naming the part that is wrong. */
export function parseEtcdUrl(url: string): { tls: boolean; hosts: string[] } {
  const m = /^(etcds?):\/\/(.+)$/.exec(url);
  if (!m) throw new Error(`--store ${url}: expected etcd://host:port[,host:port…] (or etcds:// for TLS)`);
  const hosts = m[2]!.split(',').map((h) => h.trim());
  for (const h of hosts) {
    const hp = HOST_PORT.exec(h);
    const port = hp ? Number(hp[2]) : 0;
    if (!hp || port < 1 || port > 65535) throw new Error(`--store ${url}: "${h}" is not host:port`);
  }
  return { tls: m[1] === 'etcds', hosts };
}

export function etcdClientOptions(c: EtcdConnection): IOptions {
  const { tls: wantsTls, hosts } = parseEtcdUrl(c.url);
  const tls = wantsTls || c.caFile !== undefined;
  if ((c.certFile === undefined) !== (c.keyFile === undefined)) throw new Error('--etcd-cert and --etcd-key go together');
  const timeout = c.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS;
  const opts: IOptions = {
    hosts: hosts.map((h) => `${tls ? 'https' : 'http'}://${h}`),
    dialTimeout: timeout,
    // unary calls get a deadline; streams (watch, keepalive) live as long as the connection
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
  };
  if (tls && c.caFile !== undefined) {
    opts.credentials = {
      rootCertificate: readFileSync(c.caFile),
      ...(c.certFile !== undefined ? { certChain: readFileSync(c.certFile), privateKey: readFileSync(c.keyFile!) } : {}),
    };
  }
  if (c.user !== undefined) {
    const colon = c.user.indexOf(':');
    const username = colon >= 0 ? c.user.slice(0, colon) : c.user;
    const password = colon >= 0 ? c.user.slice(colon + 1) : c.password;
    if (password === undefined) throw new Error('--etcd-user needs a password (user:password, --etcd-password or TRELLIS_ETCD_PASSWORD)');
    opts.auth = { username, password };
  }
  return opts;
}

export function connectEtcd(c: EtcdConnection): Etcd3 {
  return new Etcd3(etcdClientOptions(c));
}

/** etcd's refusal of a transaction that is too big, as the store's INVALID with what to change. */
function tooBig(message: string): StoreError | undefined {
  if (/too many operations in txn request/.test(message)) {
    return StoreError.invalid([{ path: 'commit', message: 'etcd refused the transaction: more operations than its --max-txn-ops allows (a commit writes one per resource, plus 2); raise --max-txn-ops on the etcd members or apply fewer resources at once' }]);
  }
  if (/request is too large/.test(message)) {
    return StoreError.invalid([{ path: 'commit', message: 'etcd refused the transaction: larger than its --max-request-bytes (a commit writes each resource twice); raise it on the etcd members or apply fewer resources at once' }]);
  }
  return undefined;
}

/** Maps an etcd3 failure to a StoreError (UNAVAILABLE unless it is a known refusal). */
export function storeErrorFrom(e: unknown, what: string): StoreError {
  if (e instanceof StoreError) return e;
  if (e instanceof EtcdLeaseInvalidError) return new StoreError('LEASE_NOT_FOUND', `${what}: lease not found (expired or revoked)`);
  const message = e instanceof Error ? e.message : String(e);
  const refused = tooBig(message);
  if (refused) return refused;
  const detail = e instanceof GRPCGenericError ? message : `${e instanceof Error ? e.name : 'error'}: ${message}`;
  return new StoreError('UNAVAILABLE', `${what}: etcd is unavailable (${detail})`);
}
