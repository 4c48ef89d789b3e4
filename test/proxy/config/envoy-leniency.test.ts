// Tests config constructs Envoy accepts that trellis used to reject (one object for a list, lower-case enums,
// several network filters), and that one root cause yields one error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseBootstrap } from '../../../src/proxy/config/bootstrap.js';
import { Ctx, readEnum } from '../../../src/proxy/config/reader.js';
import type { Bootstrap } from '../../../src/proxy/config/types.js';
import { HCM, HCM_TYPE, J, R0, VH0, base, describeErrors, errorsOf, get, set } from './helpers.js';
import '../../all-filters.js';

const C0 = 'static_resources.clusters[0]';
const FC0 = 'static_resources.listeners[0].filter_chains[0]';
/** VH0 in the validated model, where the inline route config sits under route_specifier. */
const MODEL_VH0 = `${HCM}.route_specifier.route_config.virtual_hosts[0]`;
const TCP_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const TCP = { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_TYPE, stat_prefix: 't', cluster: 'a' } };
/** A non-terminal network filter trellis does not implement. */
const CONN_LIMIT = { name: 'envoy.filters.network.connection_limit', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit' } };

function parse(b: J): { value?: Bootstrap; errs: ReturnType<typeof errorsOf> } {
  const r = parseBootstrap(b, { baseDir: '/' });
  return { value: r.ok ? r.value : undefined, errs: errorsOf(r) };
}

describe('one object where a list is expected', () => {
  it('reads tls_certificates given as one object (as in Envoy\'s TLS quick start) as a one-item list', () => {
    const b = base();
    set(b, `${FC0}.transport_socket`, {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: { tls_certificates: { certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: 'KEY' } } },
      },
    });
    const { value, errs } = parse(b);
    assert.equal(errs.length, 0, describeErrors(errs));
    const certs = get(value, `${FC0}.transport_socket.typed_config.common_tls_context.tls_certificates`) as unknown[];
    assert.equal(certs.length, 1);
  });

  it('reads a single route and a single cluster object as one-item lists', () => {
    const b = base();
    set(b, `${VH0}.routes`, { match: { prefix: '/' }, route: { cluster: 'a' } });
    set(b, 'static_resources.clusters', (b.static_resources as J & { clusters: J[] }).clusters[0]);
    const { value, errs } = parse(b);
    assert.equal(errs.length, 0, describeErrors(errs));
    assert.equal(value!.static_resources.clusters.length, 1);
    assert.equal((get(value, `${MODEL_VH0}.routes`) as unknown[]).length, 1);
  });

  it('still rejects a scalar where a list is expected', () => {
    const b = base();
    set(b, `${VH0}.routes`, 5);
    const { errs } = parse(b);
    assert.ok(errs.some((e) => e.path === `${VH0}.routes` && /expected a list, got number 5/.test(e.message)), describeErrors(errs));
  });
});

describe('enum values', () => {
  it('accepts lower-case enum names and keeps Envoy\'s spelling in the model', () => {
    const b = base();
    set(b, `${C0}.lb_policy`, 'round_robin');
    set(b, `${C0}.type`, 'static');
    set(b, 'static_resources.clusters[1].lb_policy', 'Least_Request');
    set(b, `${HCM}.codec_type`, 'auto');
    set(b, `${R0}.match.runtime_fraction`, { default_value: { numerator: 5, denominator: 'ten_thousand' } });
    const { value, errs } = parse(b);
    assert.equal(errs.length, 0, describeErrors(errs));
    assert.equal(value!.static_resources.clusters[0].lb_policy, 'ROUND_ROBIN');
    assert.equal(value!.static_resources.clusters[1].lb_policy, 'LEAST_REQUEST');
    assert.equal(get(value, `${HCM}.codec_type`), 'AUTO');
    assert.equal(get(value, `${MODEL_VH0}.routes[0].match.runtime_fraction.fraction`), 0.0005);
  });

  it('still rejects an unknown enum name', () => {
    const b = base();
    set(b, `${C0}.lb_policy`, 'round_robinx');
    const { errs } = parse(b);
    assert.ok(errs.some((e) => e.path === `${C0}.lb_policy` && /unknown lb_policy "round_robinx"/.test(e.message)), describeErrors(errs));
  });

  it('property: any casing of a listed value reads as that value; anything else is an error', () => {
    const values = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'TLSv1_2'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...values), fc.array(fc.boolean(), { maxLength: 16 }), (v, flips) => {
        const cased = [...v].map((ch, i) => (flips[i] === true ? ch.toLowerCase() : ch.toUpperCase())).join('');
        const ctx = new Ctx(undefined);
        assert.equal(readEnum(ctx, cased, 'p', 'f', values), v);
        assert.equal(ctx.errors.length, 0);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        const ctx = new Ctx(undefined);
        const r = readEnum(ctx, s, 'p', 'f', values);
        assert.equal(r === undefined, !values.some((v) => v.toUpperCase() === s.toUpperCase()));
        assert.equal(ctx.errors.length, r === undefined ? 1 : 0);
      }),
    );
  });
});

describe('network filter chains', () => {
  it('does not call a non-terminal first filter terminal', () => {
    const b = base();
    const hcm = get(b, `${FC0}.filters[0]`);
    set(b, `${FC0}.filters`, [CONN_LIMIT, hcm]);
    const { errs } = parse(b);
    assert.ok(!errs.some((e) => /terminal/.test(e.message)), describeErrors(errs));
    assert.ok(errs.some((e) => e.path === `${FC0}.filters[0].typed_config.@type` && /ConnectionLimit/.test(e.message)), describeErrors(errs));
  });

  it('rejects a terminal filter before the last one', () => {
    const b = base();
    const hcm = get(b, `${FC0}.filters[0]`);
    set(b, `${FC0}.filters`, [TCP, hcm]);
    const { errs } = parse(b);
    assert.deepEqual(
      errs.map((e) => [e.path, e.message]),
      [[`${FC0}.filters[0]`, 'is a terminal filter and must be the last network filter in the chain']],
    );
  });

  it('rejects a chain whose last filter is not terminal', () => {
    const b = base();
    const hcm = get(b, `${FC0}.filters[0]`);
    set(b, `${FC0}.filters`, [hcm, CONN_LIMIT]);
    const { errs } = parse(b);
    assert.ok(errs.some((e) => e.path === `${FC0}.filters[1]` && /the last network filter must be a terminal filter/.test(e.message)), describeErrors(errs));
    assert.ok(errs.some((e) => e.path === `${FC0}.filters[0]` && /is a terminal filter and must be the last/.test(e.message)), describeErrors(errs));
  });

  it('reads the terminal type through a TypedStruct', () => {
    const b = base();
    set(b, `${FC0}.filters`, [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: HCM_TYPE.replace('type.googleapis.com/', ''), value: get(b, `${FC0}.filters[0].typed_config`) } }]);
    set(b, `${FC0}.filters[0].typed_config.value.@type`, undefined);
    const { errs } = parse(b);
    assert.equal(errs.length, 0, describeErrors(errs));
  });
});

describe('one root cause, one error', () => {
  it('reports a missing cluster once however many routes name it', () => {
    const b = base();
    set(b, `${R0}.route.cluster`, 'zz');
    set(b, `${VH0}.routes[1]`, { match: { prefix: '/x' }, route: { cluster: 'zz' } });
    set(b, `${VH0}.routes[2]`, { match: { prefix: '/y' }, route: { cluster: 'zz', request_mirror_policies: [{ cluster: 'zz' }] } });
    const { errs } = parse(b);
    assert.deepEqual(
      errs.map((e) => [e.path, e.message]),
      [[`${R0}.route.cluster`, 'unknown cluster "zz"; static clusters are: a, b (also referenced 3 more times)']],
    );
  });

  it('does not blame routes for a cluster whose name is missing', () => {
    const b = base();
    set(b, `${C0}.name`, undefined);
    const { errs } = parse(b);
    assert.deepEqual(errs.map((e) => e.path), [`${C0}.name`], describeErrors(errs));
  });

  it('does not add a weight-sum error to a weight that failed to parse', () => {
    const b = base();
    set(b, `${R0}.route`, { weighted_clusters: { clusters: [{ name: 'a', weight: 'heavy' }] } });
    const { errs } = parse(b);
    assert.deepEqual(errs.map((e) => e.path), [`${R0}.route.weighted_clusters.clusters[0].weight`], describeErrors(errs));
  });

  it('reports one error for a filter list that is not a list', () => {
    const b = base();
    set(b, `${FC0}.filters`, 'hcm');
    const { errs } = parse(b);
    assert.deepEqual(errs.map((e) => e.path), [`${FC0}.filters`], describeErrors(errs));
  });

  it('Ctx drops errors at or below a path that already failed, and keeps siblings', () => {
    const ctx = new Ctx(undefined);
    ctx.err('a.b', 'bad');
    ctx.err('a.b', 'bad again');
    ctx.err('a.b.c', 'inside');
    ctx.err('a.b[0]', 'item');
    ctx.err('a.bc', 'sibling with a longer name');
    ctx.err('a', 'parent, reported later');
    assert.deepEqual(ctx.errors.map((e) => e.path), ['a.b', 'a.bc', 'a']);
    assert.ok(ctx.failedBelow('a'));
    assert.ok(!ctx.failedBelow('a.bc'));
  });

  it('property: no reported error lies at or below another one', () => {
    const seg = fc.constantFrom('a', 'b', 'ab', '[0]', '[1]');
    const pathArb = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.map((x, i) => (i === 0 || x.startsWith('[') ? x.replace(/^\[/, i === 0 ? 'x[' : '[') : `.${x}`)).join(''));
    fc.assert(
      fc.property(fc.array(pathArb, { maxLength: 20 }), (paths) => {
        const ctx = new Ctx(undefined);
        for (const p of paths) ctx.err(p, 'm');
        const got = ctx.errors.map((e) => e.path);
        for (const p of got) {
          for (const q of got) {
            if (p === q) continue;
            const below = p.startsWith(q) && (p[q.length] === '.' || p[q.length] === '[');
            assert.ok(!below || got.indexOf(q) > got.indexOf(p), `${p} reported below earlier ${q}`);
          }
        }
        assert.equal(new Set(got).size, got.length);
      }),
    );
  });
});
