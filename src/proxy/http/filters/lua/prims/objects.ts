// HTTP filters (Lua): host functions behind the objects a handle hands out — headers, buffers, metadata, stream info,
// dynamic metadata, the connection and its TLS session. Each resolves its stream and checks it is the running one.
import { LuaStream, TRAILERS } from '../stream.js';
import type { Ptr } from '../vm/module.js';
import { checkBytes, checkInteger, checkNumber, checkString, pushJson, pushObject, pushStringList, readJson, selfObject } from '../vm/values.js';
import { LuaScriptError, definePrimitive, type LuaVm } from '../vm/vm.js';

function streamOf(vm: LuaVm, L: Ptr, mt: string, fname: string): { s: LuaStream; aux: number } {
  const o = selfObject(vm, L, mt, fname);
  return { s: LuaStream.current(vm, o.id), aux: o.aux };
}

// ---------------------------------------------------------------- headers
const HEADERS_MT = 'envoy.headers';

definePrimitive('hd_get', (vm, L) => {
  const { s, aux } = streamOf(vm, L, HEADERS_MT, 'get');
  const v = s.headersOf(aux).get(checkString(vm, L, 2, 'get'));
  if (v === undefined) return 0;
  vm.pushLatin1(L, v);
  return 1;
});

definePrimitive('hd_getAtIndex', (vm, L) => {
  const { s, aux } = streamOf(vm, L, HEADERS_MT, 'getAtIndex');
  const values = s.headersOf(aux).values(checkString(vm, L, 2, 'getAtIndex'));
  const i = Math.trunc(checkNumber(vm, L, 3, 'getAtIndex'));
  if (i < 0 || i >= values.length) return 0;
  vm.pushLatin1(L, values[i]);
  return 1;
});

definePrimitive('hd_getNumValues', (vm, L) => {
  const { s, aux } = streamOf(vm, L, HEADERS_MT, 'getNumValues');
  vm.pushInt(L, s.headersOf(aux).values(checkString(vm, L, 2, 'getNumValues')).length);
  return 1;
});

function edit(name: 'add' | 'replace') {
  return (vm: LuaVm, L: Ptr): number => {
    const { s, aux } = streamOf(vm, L, HEADERS_MT, name);
    const k = checkString(vm, L, 2, name);
    const v = checkString(vm, L, 3, name);
    s.checkWritable(aux);
    const err = s.headersOf(aux)[name](k, v);
    if (err !== undefined) throw new LuaScriptError(err);
    return 0;
  };
}
definePrimitive('hd_add', edit('add'));
definePrimitive('hd_replace', edit('replace'));

definePrimitive('hd_remove', (vm, L) => {
  const { s, aux } = streamOf(vm, L, HEADERS_MT, 'remove');
  const k = checkString(vm, L, 2, 'remove');
  s.checkWritable(aux);
  const err = s.headersOf(aux).remove(k);
  if (err !== undefined) throw new LuaScriptError(err);
  return 0;
});

/** Envoy sets an HTTP/1 reason phrase; trellis's codec always sends the standard one, so this only checks its use. */
definePrimitive('hd_setHttp1ReasonPhrase', (vm, L) => {
  const { s, aux } = streamOf(vm, L, HEADERS_MT, 'setHttp1ReasonPhrase');
  checkString(vm, L, 2, 'setHttp1ReasonPhrase');
  if (s.dir !== 'response' || aux === TRAILERS) throw new LuaScriptError('setHttp1ReasonPhrase is only valid on response headers');
  s.checkWritable(aux);
  return 0;
});

/** Every (name, value) as one flat sequence {n1, v1, n2, v2, …} for the prelude's __pairs. */
definePrimitive('hd_list', (vm, L) => {
  const { s, aux } = streamOf(vm, L, HEADERS_MT, 'pairs');
  const flat: string[] = [];
  for (const [k, v] of s.headersOf(aux).list()) flat.push(k, v);
  pushStringList(vm, L, flat);
  return 1;
});

// ---------------------------------------------------------------- buffers
const BUFFER_MT = 'envoy.buffer';

definePrimitive('b_length', (vm, L) => {
  const { s, aux } = streamOf(vm, L, BUFFER_MT, 'length');
  vm.pushInt(L, s.bufferOf(aux).length);
  return 1;
});

definePrimitive('b_getBytes', (vm, L) => {
  const { s, aux } = streamOf(vm, L, BUFFER_MT, 'getBytes');
  const index = checkInteger(vm, L, 2, 'getBytes');
  const length = checkInteger(vm, L, 3, 'getBytes');
  const b = s.bufferOf(aux);
  if (index < 0 || length < 0 || index + length > b.length) {
    throw new LuaScriptError('index/length must be >= 0 and (index + length) must be <= buffer size');
  }
  vm.pushBytes(L, b.subarray(index, index + length));
  return 1;
});

definePrimitive('b_setBytes', (vm, L) => {
  const { s, aux } = streamOf(vm, L, BUFFER_MT, 'setBytes');
  s.setBuffer(aux, checkBytes(vm, L, 2, 'setBytes'));
  return 0;
});

// ---------------------------------------------------------------- route metadata and filter context (read only)
const METADATA_MT = 'envoy.metadata';

function metadataOf(s: LuaStream, aux: number): Readonly<Record<string, unknown>> {
  return aux === 0 ? s.owner.routeMetadata() : s.owner.filterContext();
}

definePrimitive('md_get', (vm, L) => {
  const { s, aux } = streamOf(vm, L, METADATA_MT, 'get');
  const md = metadataOf(s, aux);
  const k = checkString(vm, L, 2, 'get');
  pushJson(vm, L, Object.prototype.hasOwnProperty.call(md, k) ? md[k] : undefined);
  return 1;
});

/** Flat {k1, v1, …} for __pairs. */
function pushEntries(vm: LuaVm, L: Ptr, obj: Readonly<Record<string, unknown>> | undefined): void {
  const m = vm.m;
  const entries = obj === undefined ? [] : Object.entries(obj);
  m._lua_createtable(L, entries.length * 2, 0);
  let i = 1;
  for (const [k, v] of entries) {
    vm.pushUtf8(L, k);
    m._lua_rawseti(L, -2, BigInt(i++));
    pushJson(vm, L, v);
    m._lua_rawseti(L, -2, BigInt(i++));
  }
}

definePrimitive('md_list', (vm, L) => {
  const { s, aux } = streamOf(vm, L, METADATA_MT, 'pairs');
  pushEntries(vm, L, metadataOf(s, aux));
  return 1;
});

// ---------------------------------------------------------------- stream info
const INFO_MT = 'envoy.streaminfo';

/** ip:port as Envoy prints addresses ([ip]:port for IPv6). */
function address(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function info(name: string, value: (s: LuaStream) => string): void {
  definePrimitive(`si_${name}`, (vm, L) => {
    const { s } = streamOf(vm, L, INFO_MT, name);
    vm.pushLatin1(L, value(s));
    return 1;
  });
}

info('protocol', (s) => s.owner.cb.stream.ds.protocol);
info('routeName', (s) => s.owner.cb.route()?.name ?? '');
info('downstreamLocalAddress', (s) => address(s.owner.cb.stream.conn.localAddress, s.owner.cb.stream.conn.localPort));
info('downstreamDirectRemoteAddress', (s) => address(s.owner.cb.stream.conn.remoteAddress, s.owner.cb.stream.conn.remotePort));
info('downstreamRemoteAddress', (s) => address(s.owner.cb.stream.clientIp, s.owner.cb.stream.clientPort));
info('requestedServerName', (s) => s.owner.cb.stream.conn.tls?.sni ?? '');

definePrimitive('si_dynamicMetadata', (vm, L) => {
  const { s } = streamOf(vm, L, INFO_MT, 'dynamicMetadata');
  pushObject(vm, L, 'envoy.dynamicmetadata', s.id, 0);
  return 1;
});

function pushSsl(vm: LuaVm, L: Ptr, s: LuaStream): number {
  if (s.owner.cb.stream.conn.tls === undefined) return 0;
  pushObject(vm, L, 'envoy.ssl', s.id, 0);
  return 1;
}

definePrimitive('si_ssl', (vm, L) => pushSsl(vm, L, streamOf(vm, L, INFO_MT, 'downstreamSslConnection').s));

// ---------------------------------------------------------------- dynamic metadata
const DYN_MT = 'envoy.dynamicmetadata';

definePrimitive('dm_get', (vm, L) => {
  const { s } = streamOf(vm, L, DYN_MT, 'get');
  const ns = checkString(vm, L, 2, 'get');
  const md = s.owner.cb.stream.dynamicMetadata;
  if (md === undefined || !Object.prototype.hasOwnProperty.call(md, ns)) return 0;
  pushJson(vm, L, md[ns]);
  return 1;
});

definePrimitive('dm_set', (vm, L) => {
  const { s } = streamOf(vm, L, DYN_MT, 'set');
  const ns = checkString(vm, L, 2, 'set');
  const key = checkString(vm, L, 3, 'set');
  s.owner.cb.setDynamicMetadata(ns, { [key]: readJson(vm, L, 4, 'set') });
  return 0;
});

definePrimitive('dm_list', (vm, L) => {
  const { s } = streamOf(vm, L, DYN_MT, 'pairs');
  pushEntries(vm, L, s.owner.cb.stream.dynamicMetadata);
  return 1;
});

// ---------------------------------------------------------------- connection and TLS
definePrimitive('c_ssl', (vm, L) => pushSsl(vm, L, streamOf(vm, L, 'envoy.connection', 'ssl').s));

const SSL_MT = 'envoy.ssl';

/** trellis keeps a client certificate only when it verified it (else the handshake failed): presented = validated. */
definePrimitive('ssl_peerCertificatePresented', (vm, L) => {
  const tls = streamOf(vm, L, SSL_MT, 'peerCertificatePresented').s.owner.cb.stream.conn.tls;
  vm.m._lua_pushboolean(L, tls !== undefined && (tls.peerSubject !== undefined || tls.peerUriSans.length > 0) ? 1 : 0);
  return 1;
});

definePrimitive('ssl_uriSanPeerCertificate', (vm, L) => {
  const tls = streamOf(vm, L, SSL_MT, 'uriSanPeerCertificate').s.owner.cb.stream.conn.tls;
  pushStringList(vm, L, tls?.peerUriSans ?? []);
  return 1;
});

definePrimitive('ssl_subjectPeerCertificate', (vm, L) => {
  const tls = streamOf(vm, L, SSL_MT, 'subjectPeerCertificate').s.owner.cb.stream.conn.tls;
  vm.pushUtf8(L, tls?.peerSubject ?? '');
  return 1;
});
