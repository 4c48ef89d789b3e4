// Config stage: per-resource validators (Listener, Cluster, RouteConfiguration, ClusterLoadAssignment) for the xDS client.
import type { Result } from '../../common/result.js';
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration, VirtualHost } from './types.js';
import { Ctx } from './reader.js';
import { listener } from './listener.js';
import { cluster } from './cluster.js';
import { routeConfiguration, validateVirtualHost } from './route.js';
import { clusterLoadAssignment } from './endpoint.js';
import { newRefs, type Refs } from './refs.js';
import { secret } from './tls.js';
import type { TlsSecret } from '../tls/secret-manager.js';

/** Options for a standalone resource: where relative `filename:` data sources resolve (default: the process cwd). */
export interface ResourceOptions {
  baseDir?: string;
}

function run<T>(opts: ResourceOptions | undefined, fn: (ctx: Ctx) => T | undefined, path: string): Result<T> {
  const ctx = new Ctx(opts?.baseDir);
  const v = fn(ctx);
  if (ctx.errors.length > 0) return { ok: false, errors: ctx.errors };
  if (v === undefined) return { ok: false, errors: [{ path: path || '(root)', message: 'invalid resource' }] };
  return { ok: true, value: v };
}

// Route clusters are not checked here: over xDS they resolve against other resources, exactly as Envoy does
// for dynamic resources. Secrets come over ADS (sds_config {ads: {}}); a static secret's name is refused.

function noSecretRefs(ctx: Ctx, refs: Refs): void {
  for (const s of refs.secrets) {
    if (!s.ads) ctx.err(s.path, `secret "${s.name}": xDS resources take secrets over ADS (sds_config: {ads: {}}), not static secrets by name`);
  }
}

export function validateListener(raw: unknown, path: string, opts?: ResourceOptions): Result<Listener> {
  return run(
    opts,
    (ctx) => {
      const refs = newRefs();
      const l = listener(ctx, raw, path, refs, true);
      noSecretRefs(ctx, refs);
      return l;
    },
    path,
  );
}

export function validateCluster(raw: unknown, path: string, opts?: ResourceOptions): Result<Cluster> {
  return run(
    opts,
    (ctx) => {
      const refs = newRefs();
      const c = cluster(ctx, raw, path, refs);
      noSecretRefs(ctx, refs);
      return c;
    },
    path,
  );
}

/** A RouteConfiguration from RDS: `vhds` is accepted here (the xDS client refuses it over SotW, as Envoy does). */
export function validateRouteConfiguration(raw: unknown, path: string, opts?: ResourceOptions): Result<RouteConfiguration> {
  return run(opts, (ctx) => routeConfiguration(ctx, raw, path, [], { vhds: true })?.config, path);
}

/** A VirtualHost resource of VHDS, checked as an inline virtual host is. */
export function validateVirtualHostResource(raw: unknown, path: string, opts?: ResourceOptions): Result<VirtualHost> {
  return run(opts, (ctx) => validateVirtualHost(ctx, raw, path, []), path);
}

/** An SDS Secret: a tls_certificate (chain and key) or a validation_context. */
export function validateSecret(raw: unknown, path: string, opts?: ResourceOptions): Result<TlsSecret> {
  return run(opts, (ctx) => {
    const s = secret(ctx, raw, path);
    if (s === undefined) return undefined;
    const out: TlsSecret = {};
    if (s.tls_certificate !== undefined) out.tls_certificate = s.tls_certificate;
    if (s.validation_context !== undefined) out.validation_context = s.validation_context;
    return out;
  }, path);
}

export function validateClusterLoadAssignment(raw: unknown, path: string, opts?: ResourceOptions): Result<ClusterLoadAssignment> {
  return run(opts, (ctx) => clusterLoadAssignment(ctx, raw, path), path);
}
