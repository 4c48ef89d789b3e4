// Test support: MySQL wire packets (protocol 10 greeting, HandshakeResponse41, SSLRequest, OK / ERR / auth switch,
// COM_QUERY) built from the protocol's documented layout, for the unit and e2e tests of mysql_proxy.

const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const CLIENT_SSL = 0x800;

export function packet(seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
}

export function greeting(): Buffer {
  const caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_SSL;
  const p = Buffer.concat([
    Buffer.from([10]),
    Buffer.from('8.0.36-test\0', 'latin1'),
    Buffer.from([1, 0, 0, 0]), // connection id
    Buffer.alloc(8, 0x41), // auth-plugin-data part 1
    Buffer.from([0]),
    Buffer.from([caps & 0xff, (caps >> 8) & 0xff, 0x21, 2, 0, (caps >> 16) & 0xff, (caps >> 24) & 0xff, 21]),
    Buffer.alloc(10),
    Buffer.alloc(13, 0x42),
    Buffer.from('mysql_native_password\0', 'latin1'),
  ]);
  return packet(0, p);
}

function caps(extra = 0): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | extra);
  return b;
}

export function login(user = 'app', seq = 1): Buffer {
  const p = Buffer.concat([caps(), Buffer.from([0, 0, 0, 1, 0x21]), Buffer.alloc(23), Buffer.from(`${user}\0`), Buffer.from([20]), Buffer.alloc(20, 0x43), Buffer.from('mysql_native_password\0')]);
  return packet(seq, p);
}

export function sslRequest(): Buffer {
  return packet(1, Buffer.concat([caps(CLIENT_SSL), Buffer.from([0, 0, 0, 1, 0x21]), Buffer.alloc(23)]));
}

export function ok(seq: number): Buffer {
  return packet(seq, Buffer.from([0, 0, 0, 2, 0, 0, 0]));
}

export function err(seq: number, message = 'Access denied'): Buffer {
  return packet(seq, Buffer.concat([Buffer.from([0xff, 0x15, 0x04]), Buffer.from(`#28000${message}`)]));
}

export function authSwitch(seq: number): Buffer {
  return packet(seq, Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_native_password\0'), Buffer.alloc(20, 0x44), Buffer.from([0])]));
}

export function authData(seq: number): Buffer {
  return packet(seq, Buffer.alloc(20, 0x45));
}

export function query(sql: string): Buffer {
  return packet(0, Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]));
}
