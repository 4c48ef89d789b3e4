// Config stage: type.v3.HttpStatus (a status code by number or by Envoy's enum name), shared by the filters that take one.
import { Ctx, Msg } from './reader.js';

/** type.v3.HttpStatus.code names (proto3 JSON may spell the enum by name). */
const STATUS_NAMES: Readonly<Record<string, number>> = {
  Continue: 100, OK: 200, Created: 201, Accepted: 202, NonAuthoritativeInformation: 203, NoContent: 204, ResetContent: 205,
  PartialContent: 206, MultiStatus: 207, AlreadyReported: 208, IMUsed: 226, MultipleChoices: 300, MovedPermanently: 301,
  Found: 302, SeeOther: 303, NotModified: 304, UseProxy: 305, TemporaryRedirect: 307, PermanentRedirect: 308, BadRequest: 400,
  Unauthorized: 401, PaymentRequired: 402, Forbidden: 403, NotFound: 404, MethodNotAllowed: 405, NotAcceptable: 406,
  ProxyAuthenticationRequired: 407, RequestTimeout: 408, Conflict: 409, Gone: 410, LengthRequired: 411, PreconditionFailed: 412,
  PayloadTooLarge: 413, URITooLong: 414, UnsupportedMediaType: 415, RangeNotSatisfiable: 416, ExpectationFailed: 417,
  MisdirectedRequest: 421, UnprocessableEntity: 422, Locked: 423, FailedDependency: 424, UpgradeRequired: 426,
  PreconditionRequired: 428, TooManyRequests: 429, RequestHeaderFieldsTooLarge: 431, InternalServerError: 500, NotImplemented: 501,
  BadGateway: 502, ServiceUnavailable: 503, GatewayTimeout: 504, HTTPVersionNotSupported: 505, VariantAlsoNegotiates: 506,
  InsufficientStorage: 507, LoopDetected: 508, NotExtended: 510, NetworkAuthenticationRequired: 511,
};
const STATUS_CODES = new Set(Object.values(STATUS_NAMES));

export function validateHttpStatus(ctx: Ctx, raw: unknown, path: string): number | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.v3.HttpStatus', fields: ['code'] });
  if (m === undefined) return undefined;
  if (!m.require('code')) return undefined;
  const v = m.raw('code');
  const code = typeof v === 'string' && STATUS_NAMES[v] !== undefined ? STATUS_NAMES[v] : m.num('code', { int: true });
  if (code === undefined) return undefined;
  if (!STATUS_CODES.has(code)) {
    m.err('code', `${JSON.stringify(v)} is not an HTTP status code Envoy knows`);
    return undefined;
  }
  return code;
}
