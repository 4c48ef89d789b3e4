// Test helper: fast-check generators of malformed downstream input — HTTP/1.1 heads, chunked bodies, HTTP/2 frame sequences.
import fc from 'fast-check';
import { Flag, FrameType, PREFACE, frame, headerBlock, hpackLiteral, u32 } from './h2-wire.js';

/** One generated connection: the bytes (sent as separate writes), and whether the client half-closes after them. */
export interface FuzzCase {
  writes: Buffer[];
  halfClose: boolean;
}

/**
 * Most header fields in a generated head (Host included). TODO(h1-codec, 32+ header fields crash the proxy:
 * llhttp hands the fields and the URL over in batches past 32 and the codec loses the URL): raise to 200 once
 * the HTTP/1.1 codec fix is merged.
 */
export const MAX_HEADER_FIELDS = 200;
/** Most trailer fields after a chunked body. */
const MAX_TRAILER_FIELDS = 120;
/** TODO(h1-codec): set to true with the codec fix (see chunkedCase). */
const PIPELINE_AFTER_TRAILERS = true;

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
/** `arb` one time in `oneIn`, null otherwise (fc.option's freq is the odds of null, the other way round). */
const sometimes = <T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/** Characters that break HTTP framing, mixed in with ordinary ones. */
const nasty = fc.constantFrom('\r', '\n', '\r\n', '\0', ' ', '\t', ':', ';', '"', ',', '\x7f', '\xff', '\x80', '%00', '/', '\\', '?', '#');
const safe = fc.constantFrom(...'abcxyzABC019-_.~'.split(''));
const messy = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.oneof({ weight: 4, arbitrary: safe }, { weight: 1, arbitrary: nasty }), maxLength });
const anyLatin1 = (maxLength: number): fc.Arbitrary<string> => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('latin1'));

const numberish = fc.constantFrom('0', '1', '5', '-1', '+5', ' 5', '5 ', '0x10', '1e3', '00005', '4294967296', '9007199254740993', '18446744073709551616', '', '5, 5', '5,6');

// ---------------------------------------------------------------- (a) HTTP/1.1 heads

// Mostly valid pieces with some broken ones: a head that is wrong everywhere only ever reaches the parser.
const method = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'ACL', 'SOURCE') },
  { weight: 1, arbitrary: fc.constantFrom('get', 'G ET', '', 'GET\0', 'ÀGET', 'M-SEARCH', 'QUERY') },
  { weight: 1, arbitrary: messy(10) },
);

const target = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom('/', '/healthz', '/static/a.css', '/v1/users?id=1', '/a/../b', '//x//y', '/%2e%2e/x', '/%00', '/a#frag') },
  { weight: 2, arbitrary: fc.constantFrom('*', 'http://example.com/p', 'https://api.example.com/v1/', 'http://', 'example.com:443', 'http://a@b/c', '') },
  { weight: 2, arbitrary: messy(40).map((s) => '/' + s) },
  { weight: 1, arbitrary: anyLatin1(30) },
);

const version = fc.oneof(
  { weight: 16, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 2, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/9.9', 'http/1.1', 'HTTP/1.1 ', 'HTTP/11', '', 'HTTP/1.1\0') },
);

const headerName = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Upgrade', 'Expect', 'TE', 'Trailer', 'Keep-Alive',
      'X-Forwarded-For', 'X-Request-Id', 'Cookie', 'Content-Type', 'Sec-WebSocket-Key', 'HTTP2-Settings', 'Proxy-Connection',
      'x-envoy-fault-abort-request', 'x-envoy-original-path', 'X-Custom',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('Content-Length ', ' Host', 'Transfer-Encoding\t', 'Ho st', 'Host\0', '', ':authority', 'ÿ') },
  { weight: 2, arbitrary: messy(20) },
);

const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('example.com', 'api.example.com', 'example.com:10000', '', 'localhost', '[::1]:80', 'a b', 'ex\0ample.com') },
  { weight: 2, arbitrary: numberish },
  {
    weight: 2,
    arbitrary: fc.constantFrom('chunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'CHUNKED', ' chunked', 'chunked\0', 'close', 'keep-alive', 'Upgrade', 'upgrade, close', 'websocket', 'h2c', '100-continue', 'trailers', '503', '200'),
  },
  { weight: 2, arbitrary: messy(60) },
  { weight: 1, arbitrary: anyLatin1(60) },
);
/** Values up to past the 60 KiB head limit, now and then. */
const headerValueOrHuge = fc.oneof({ weight: 30, arbitrary: headerValue }, { weight: 1, arbitrary: fc.nat({ max: 70_000 }).map((n) => 'v'.repeat(n)) });

const lineEnd = fc.oneof({ weight: 9, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\n\r', '\r\r\n') });
const separator = fc.oneof({ weight: 8, arbitrary: fc.constant(': ') }, { weight: 1, arbitrary: fc.constantFrom(':', ' : ', ':\t', '::', '= ', ' ') });

const oddLine = fc.tuple(headerName, separator, headerValueOrHuge, lineEnd, sometimes(messy(20), 8)).map(([n, sep, v, eol, fold]) =>
  // obs-fold: a continuation line starting with whitespace
  fold === null ? `${n}${sep}${v}${eol}` : `${n}${sep}${v}${eol} ${fold}${eol}`,
);
/** An ordinary field, so that heads with many fields still get past the parser to routing. */
const plainLine = fc
  .tuple(fc.constantFrom('Accept', 'User-Agent', 'X-Custom', 'Cookie', 'X-Forwarded-For', 'x-request-id', 'Accept-Language', 'X-B3-TraceId'), fc.string({ unit: safe, maxLength: 30 }))
  .map(([n, v]) => `${n}: ${v}\r\n`);
const headerLine = fc.oneof({ weight: 3, arbitrary: plainLine }, { weight: 2, arbitrary: oddLine });

const fieldCount = MAX_HEADER_FIELDS - 5; // room for two Host fields and three upgrade fields
const headLines = fc.tuple(
  fc.array(fc.oneof({ weight: 6, arbitrary: plainLine }, { weight: 1, arbitrary: oddLine }), { maxLength: 12 }),
  // a block of many copies of one field: huge counts, duplicate Content-Length / Host
  sometimes(fc.tuple(headerLine, fc.integer({ min: 2, max: fieldCount - 12 })), 3),
);

export const h1HeadCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    method,
    target,
    version,
    withHost: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    secondHost: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    // a WebSocket upgrade: the backend answers it like any request, so the proxy must relay that and close
    upgrade: sometimes(fc.constantFrom('Connection: Upgrade\r\nUpgrade: websocket\r\n', 'Connection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\n', 'Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n', 'Connection: Upgrade\r\nUpgrade: foo/2, websocket\r\n'), 6),
    lines: headLines,
    end: fc.oneof({ weight: 8, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '', '\r', 'garbage\r\n\r\n') }),
    body: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: anyLatin1(80) }, { weight: 1, arbitrary: fc.constant('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n') }),
    halfClose: fc.boolean(),
    cut: fc.nat(),
  })
  .map((r) => {
    let head = `${r.method} ${r.target} ${r.version}\r\n`;
    if (r.withHost) head += 'Host: example.com\r\n';
    if (r.secondHost) head += 'Host: other.example\r\n';
    if (r.upgrade !== null) head += r.upgrade;
    head += r.lines[0].join('');
    const rep = r.lines[1];
    if (rep !== null) head += rep[0].repeat(rep[1]);
    const bytes = latin1(head + r.end + r.body);
    return { writes: split(bytes, r.cut), halfClose: r.halfClose };
  });

/** Two writes cut at `cut` (mod length), or one when the cut falls on an end. */
function split(bytes: Buffer, cut: number): Buffer[] {
  const at = cut % (bytes.length + 1);
  return at === 0 || at === bytes.length ? [bytes] : [bytes.subarray(0, at), bytes.subarray(at)];
}

// ---------------------------------------------------------------- (b) chunked bodies

const chunkSize = (dataLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 24, arbitrary: fc.constantFrom(dataLength.toString(16), dataLength.toString(16).toUpperCase(), '000' + dataLength.toString(16)) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '-1', '0x10', 'g', '1 0', ' 5', '5 ', '+5', '\t5') },
    { weight: 1, arbitrary: fc.constantFrom('ffffffff', 'fffffffffffffff', 'ffffffffffffffffff', '7fffffffffffffff', '1' + '0'.repeat(40)) },
    { weight: 1, arbitrary: fc.nat({ max: 200 }).map((n) => n.toString(16)) },
  );

const chunkExt = fc.oneof(
  { weight: 20, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constantFrom(';a=b', ';a', ';a="q d"', ';a="unterminated', '; a = b', ';=', ';a=b;c=d', ';\0', ';a=\r', ';' + 'x'.repeat(5000)) },
  { weight: 1, arbitrary: messy(30).map((s) => ';' + s) },
);

const chunkData = fc.oneof({ weight: 4, arbitrary: fc.string({ unit: safe, maxLength: 64 }) }, { weight: 1, arbitrary: anyLatin1(64) });
const dataEnd = fc.oneof({ weight: 24, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('', '\n', '\r', 'XX', '\r\r\n') });

const chunk = chunkData.chain((data) =>
  fc.tuple(chunkSize(data.length), chunkExt, lineEnd, dataEnd).map(([size, ext, eol, end]) => `${size}${ext}${eol}${data}${end}`),
);

const trailers = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.array(headerLine, { maxLength: 8 }).map((ls) => ls.join('')) },
  { weight: 1, arbitrary: fc.tuple(headerLine, fc.integer({ min: 1, max: MAX_TRAILER_FIELDS })).map(([l, n]) => l.repeat(n)) },
);

export const chunkedCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    path: fc.constantFrom('/upload', '/static/up', '/healthz', '/v1/x'),
    te: fc.oneof({ weight: 6, arbitrary: fc.constant('chunked') }, { weight: 1, arbitrary: fc.constantFrom('gzip, chunked', 'chunked, chunked', 'Chunked', 'chunked;q=1') }),
    // TE together with Content-Length: a request-smuggling classic
    contentLength: sometimes(numberish, 5),
    expect: fc.boolean(),
    chunks: fc.array(chunk, { maxLength: 6 }),
    last: fc.oneof({ weight: 8, arbitrary: fc.constant('0') }, { weight: 1, arbitrary: fc.constantFrom('', '00', '0;ext=1', '0 ') }),
    lastEol: lineEnd,
    trailers,
    final: fc.oneof({ weight: 8, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('', '\n', 'X\r\n') }),
    next: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constant('GET /after HTTP/1.1\r\nHost: example.com\r\n\r\n') }),
    halfClose: fc.boolean(),
    cut: fc.nat(),
  })
  .map((r) => {
    let head = `POST ${r.path} HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: ${r.te}\r\n`;
    if (r.contentLength !== null) head += `Content-Length: ${r.contentLength}\r\n`;
    if (r.expect) head += 'Expect: 100-continue\r\n';
    const body = r.chunks.join('') + r.last + r.lastEol + r.trailers + r.final;
    // TODO(h1-codec, same bug as 32+ header fields): once llhttp has handed fields over through kOnHeaders
    // (trailers always are), every later request on the connection arrives without its URL and crashes
    // the proxy. Re-enable a request after trailers (drop this condition) once the codec fix is merged.
    const next = PIPELINE_AFTER_TRAILERS || r.trailers === '' ? r.next : '';
    return { writes: split(latin1(head + '\r\n' + body + next), r.cut), halfClose: r.halfClose };
  });

// ---------------------------------------------------------------- (c) HTTP/2 frame sequences

const streamId = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(1, 3, 5) },
  { weight: 1, arbitrary: fc.constantFrom(0, 2, 0x7fffffff, 0x80000001, 0xffffffff) },
  { weight: 1, arbitrary: fc.nat() },
);

const validRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'CONNECT', 'OPTIONS', 'get', ''),
    path: fc.constantFrom('/', '/healthz', '/static/x', '/v1/a', '*', '', 'noslash', '/a?b'),
    authority: fc.constantFrom('example.com', 'api.example.com', '', 'EXAMPLE.COM', 'a b'),
    extra: fc.array(
      fc.tuple(
        fc.constantFrom('content-length', 'te', 'connection', 'x-a', 'X-Upper', 'host', ':status', ':protocol', 'transfer-encoding', 'cookie', 'x-envoy-fault-abort-request', ''),
        fc.constantFrom('0', '5', 'trailers', 'gzip', 'close', 'v', 'example.com', 'websocket', '503', '\r\n', '\0', '-1', ''),
      ),
      { maxLength: 3 },
    ),
  })
  .map((r) => headerBlock([[':method', r.method], [':scheme', 'http'], [':path', r.path], [':authority', r.authority], ...r.extra]));

const hpackBytes = fc.oneof(
  { weight: 4, arbitrary: validRequest },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)) },
  // literal with a length prefix that overruns the block / a huge integer
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x3f, 0xff, 0xff, 0xff, 0xff, 0x7f]), hpackLiteral('x', 'y').subarray(0, 3)) },
);

const settingsPayload = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.constantFrom(0, 1, 100, 16383, 16384, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff, 0x1000000)), { maxLength: 5 })
  .map((pairs) => Buffer.concat(pairs.map(([id, v]) => Buffer.concat([Buffer.from([id >> 8, id & 0xff]), u32(v)]))));

const randomPayload = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b));

/** A payload shaped for the frame type, or random bytes. */
const payloadFor = (type: number): fc.Arbitrary<Buffer> => {
  const shaped: Record<number, fc.Arbitrary<Buffer>> = {
    [FrameType.DATA]: fc.string({ unit: safe, maxLength: 40 }).map(latin1),
    [FrameType.HEADERS]: hpackBytes,
    [FrameType.PRIORITY]: fc.tuple(streamId, fc.nat({ max: 255 })).map(([dep, w]) => Buffer.concat([u32(dep), Buffer.from([w])])),
    [FrameType.RST_STREAM]: fc.nat({ max: 14 }).map(u32),
    [FrameType.SETTINGS]: settingsPayload,
    [FrameType.PUSH_PROMISE]: fc.tuple(streamId, hpackBytes).map(([id, b]) => Buffer.concat([u32(id), b])),
    [FrameType.PING]: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)),
    [FrameType.GOAWAY]: fc.tuple(streamId, fc.nat({ max: 14 })).map(([last, code]) => Buffer.concat([u32(last), u32(code)])),
    [FrameType.WINDOW_UPDATE]: fc.constantFrom(0, 1, 65535, 0x7fffffff, 0x80000000, 0xffffffff).map(u32),
    [FrameType.CONTINUATION]: hpackBytes,
  };
  const s = shaped[type];
  return s === undefined ? randomPayload : fc.oneof({ weight: 4, arbitrary: s }, { weight: 1, arbitrary: randomPayload });
};

const anyFrame = fc
  .oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 9 }) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) })
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      flags: fc.oneof(fc.constantFrom(0, Flag.END_STREAM, Flag.END_HEADERS, Flag.END_STREAM | Flag.END_HEADERS, Flag.PADDED, Flag.PRIORITY), fc.nat({ max: 255 })),
      streamId,
      payload: payloadFor(type),
      // the declared length sometimes lies about the payload
      lengthLie: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 20000 }) }),
    }),
  )
  .map((f) => {
    const b = frame(f.type, f.flags, f.streamId, f.payload);
    if (f.lengthLie !== 0) b.writeUIntBE(Math.max(0, Math.min(0xffffff, f.payload.length + f.lengthLie)), 0, 3);
    return b;
  });

/** A well-formed request on stream `id`, to mix working streams into the noise. */
const goodRequest = fc.tuple(fc.constantFrom(1, 3, 5, 7), fc.constantFrom('/', '/healthz', '/static/x')).map(([id, path]) =>
  frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, headerBlock([[':method', 'GET'], [':scheme', 'http'], [':path', path], [':authority', 'example.com']])),
);

export const h2Case: fc.Arbitrary<FuzzCase> = fc
  .record({
    preface: fc.oneof({ weight: 12, arbitrary: fc.constant(PREFACE) }, { weight: 1, arbitrary: fc.constantFrom(PREFACE.subarray(0, 20), latin1('PRI * HTTP/2.0\r\n\r\nSM\r\n\r')) }),
    settings: fc.oneof({ weight: 4, arbitrary: fc.constant(frame(FrameType.SETTINGS, 0, 0)) }, { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) }),
    frames: fc.array(fc.oneof({ weight: 4, arbitrary: anyFrame }, { weight: 1, arbitrary: goodRequest }), { maxLength: 8 }),
    // Always: the client's FIN must end the session, which is what bounds an HTTP/2 case in time.
    halfClose: fc.constant(true),
    cut: fc.nat(),
  })
  .map((r) => ({ writes: split(Buffer.concat([r.preface, r.settings, ...r.frames]), r.cut), halfClose: r.halfClose }));
