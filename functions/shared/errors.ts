/**
 * Tollgate's error hierarchy. Handlers throw these; `http/handler.ts` maps them to
 * RFC 9457 problem+json once, at the edge. Anything else becomes a plain 500.
 */
export const PROBLEM_BASE = 'https://tollgate.dev/problems/';

export interface ProblemFields {
  status: number;
  slug: string;
  title: string;
  detail: string;
  headers?: Record<string, string>;
  /** URI of this occurrence. @default a URN naming the request */
  instance?: string;
  /** Extension members (RFC 9457 §3.2). */
  extensions?: Record<string, unknown>;
}

/** Base class: an expected failure that has a problem+json answer. */
export class TollgateError extends Error {
  readonly problem: ProblemFields;
  constructor(problem: ProblemFields, options?: ErrorOptions) {
    super(problem.detail, options);
    this.name = 'TollgateError';
    this.problem = problem;
  }
}

/** The request is malformed or fails validation (400). */
export class ValidationError extends TollgateError {
  constructor(detail: string, errors?: { path: string; message: string }[]) {
    super({
      status: 400,
      slug: 'validation-error',
      title: 'Your request has invalid input',
      detail,
      extensions: errors ? { errors } : undefined,
    });
    this.name = 'ValidationError';
  }
}

/** Missing, malformed, unknown or revoked credentials (401). */
export class UnauthorizedError extends TollgateError {
  constructor(detail = 'Send a valid key as "Authorization: Bearer <key>".') {
    super({ status: 401, slug: 'unauthorized', title: 'We could not authenticate this request', detail, headers: { 'WWW-Authenticate': 'Bearer' } });
    this.name = 'UnauthorizedError';
  }
}

/** Authenticated, but this credential may not use this route (403). */
export class ForbiddenError extends TollgateError {
  constructor(detail: string) {
    super({ status: 403, slug: 'forbidden', title: 'This key may not do that', detail });
    this.name = 'ForbiddenError';
  }
}

/** The caller's own identity (a platform's JWT or authorizer, via `meter({ account })`) has no Tollgate account (403). */
export class UnknownAccountError extends TollgateError {
  constructor(detail: string) {
    super({ status: 403, slug: 'unknown-account', title: 'There is no account for this caller', detail });
    this.name = 'UnknownAccountError';
  }
}

/** The resource does not exist, or is not visible to this caller (404). */
export class NotFoundError extends TollgateError {
  constructor(detail: string) {
    super({ status: 404, slug: 'not-found', title: 'Not found', detail });
    this.name = 'NotFoundError';
  }
}

/** The path exists, but not with this method (405); `Allow` lists the methods it has. */
export class MethodNotAllowedError extends TollgateError {
  constructor(method: string, path: string, allowed: string[]) {
    const allow = allowed.join(', ');
    super({
      status: 405,
      slug: 'method-not-allowed',
      title: 'This method is not allowed here',
      detail: `${path} does not answer ${method}; it answers ${allow}.`,
      headers: { Allow: allow },
    });
    this.name = 'MethodNotAllowedError';
  }
}

/** The request conflicts with the resource's current state (409). */
export class ConflictError extends TollgateError {
  constructor(detail: string, headers?: Record<string, string>) {
    super({ status: 409, slug: 'conflict', title: 'That conflicts with the current state', detail, headers });
    this.name = 'ConflictError';
  }
}

/** A request whose Idempotency-Key another attempt is working on right now (409, retry in a second). */
export class RequestInProgressError extends ConflictError {
  constructor() {
    super('This request is already being processed. Retry in a moment.', { 'Retry-After': '1' });
  }
}

/** The resource existed but has expired (410). */
export class GoneError extends TollgateError {
  constructor(detail: string) {
    super({ status: 410, slug: 'gone', title: 'This has expired', detail });
    this.name = 'GoneError';
  }
}

/** What a person holding a bad link can do about it; links are opened by people, not programs. */
const FRESH_LINK = 'The newest email from us has a fresh link; if you have none, ask whoever runs this service for one.';

/** A signed link that was tampered with, is malformed, or is for another page (403). */
export class InvalidLinkError extends TollgateError {
  constructor(reason = 'This link is not valid.') {
    super({ status: 403, slug: 'forbidden', title: 'This link is not valid', detail: `${reason} ${FRESH_LINK}` });
    this.name = 'InvalidLinkError';
  }
}

/** A link without its token, or with it cut short or added to (400): usually a link copied in part. */
export class IncompleteLinkError extends TollgateError {
  constructor() {
    super({
      status: 400,
      slug: 'validation-error',
      title: 'This link is incomplete',
      detail: `The link is missing part of its address. Open it again from the email, or copy the whole link into your browser. ${FRESH_LINK}`,
    });
    this.name = 'IncompleteLinkError';
  }
}

/** A signed link past its expiry (410). */
export class ExpiredLinkError extends TollgateError {
  constructor() {
    super({ status: 410, slug: 'gone', title: 'This link has expired', detail: `Links in our emails work for a limited time. ${FRESH_LINK}` });
    this.name = 'ExpiredLinkError';
  }
}

/** The Idempotency-Key was already used with a different request (422). */
export class IdempotencyKeyReusedError extends TollgateError {
  constructor() {
    super({
      status: 422,
      slug: 'idempotency-key-reused',
      title: 'This Idempotency-Key was used for a different request',
      detail: 'Retries must repeat the original request exactly. Use a new Idempotency-Key for a new request.',
    });
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** Request body larger than the limit (413). */
export class PayloadTooLargeError extends TollgateError {
  constructor(limitBytes: number) {
    super({ status: 413, slug: 'payload-too-large', title: 'The request body is too large', detail: `Request bodies are limited to ${limitBytes} bytes.` });
    this.name = 'PayloadTooLargeError';
  }
}

/** Request body that is not JSON (415). */
export class UnsupportedMediaTypeError extends TollgateError {
  constructor() {
    super({ status: 415, slug: 'unsupported-media-type', title: 'Send JSON', detail: 'Request bodies must be JSON with "Content-Type: application/json".' });
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** A dependency (DynamoDB) is unavailable; nothing was charged (503). */
export class ServiceUnavailableError extends TollgateError {
  constructor(detail: string, options?: ErrorOptions) {
    super({ status: 503, slug: 'service-unavailable', title: 'Tollgate is briefly unavailable', detail, headers: { 'Retry-After': '1' } }, options);
    this.name = 'ServiceUnavailableError';
  }
}

/** The balance does not cover the price: carries the full recovery answer (402). */
export class InsufficientCreditsError extends TollgateError {
  constructor(problem: ProblemFields) {
    super(problem);
    this.name = 'InsufficientCreditsError';
  }
}

/** A metered endpoint's price is wrong (unknown operation, not a whole number of credits ≥ 1): its code must change; nothing was charged (500). */
export class PriceMisconfiguredError extends TollgateError {
  constructor(detail: string, options?: ErrorOptions) {
    super({ status: 500, slug: 'price-misconfigured', title: 'This endpoint’s price is misconfigured', detail: `${detail} Nothing was charged.` }, options);
    this.name = 'PriceMisconfiguredError';
  }
}
