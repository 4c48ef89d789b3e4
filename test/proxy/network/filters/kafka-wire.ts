// Test support: Kafka request and response frames (size, request header v1 / response header, an opaque body) built
// from the protocol's documented layout, for the unit and e2e tests of kafka_broker.

export function request(apiKey: number, version: number, correlationId: number, body: Buffer = Buffer.alloc(6, 0)): Buffer {
  const clientId = Buffer.from('trellis-test');
  const h = Buffer.alloc(10);
  h.writeInt16BE(apiKey, 0);
  h.writeInt16BE(version, 2);
  h.writeInt32BE(correlationId, 4);
  h.writeInt16BE(clientId.length, 8);
  const payload = Buffer.concat([h, clientId, body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

export function response(correlationId: number, body: Buffer = Buffer.alloc(10, 0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeInt32BE(4 + body.length, 0);
  h.writeInt32BE(correlationId, 4);
  return Buffer.concat([h, body]);
}
