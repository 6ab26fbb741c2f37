import { ServiceUnavailableError, TollgateError } from '../shared/errors.ts';
import { header } from './request.ts';
import type { HttpEvent } from './types.ts';

/** Errors of an unreachable, throttling or conflicting DynamoDB: a 503 with Retry-After, never a 500. */
const UNAVAILABLE_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'TimeoutError',
  'RequestTimeout',
  'ServiceUnavailable',
  'InternalServerError',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
]);

/**
 * Honest about what is known: a write may have been applied before its answer was lost. A request
 * with an Idempotency-Key can be retried under it; one without has no key to retry under (a charge
 * taken without its work is refunded by the sweeper: 15 minutes on, run every 5).
 */
const UNCONFIRMED = {
  keyed:
    'Our database is unavailable right now, so this request could not be confirmed. Retry it with the same Idempotency-Key: it will not be charged twice. A charge that was taken without its work being delivered is refunded automatically.',
  keyless:
    'Our database is unavailable right now, so this request could not be confirmed. If it was charged without its work being delivered, the charge is refunded automatically within about 20 minutes. A request sent with an Idempotency-Key can be retried under it without being charged twice.',
};

/** Whether the error is DynamoDB's (or the network's) being unreachable, throttling or in conflict: a 503, not a 500. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string; name?: string } | undefined)?.code ?? (error as { name?: string } | undefined)?.name;
  return code !== undefined && UNAVAILABLE_ERRORS.has(code);
}

/** The error of `event`'s request as the TollgateError it is answered with, or undefined for a failure that is a 500. */
export function asTollgateError(error: unknown, event: HttpEvent): TollgateError | undefined {
  if (error instanceof TollgateError) return error;
  if (!isUnavailable(error)) return undefined;
  const keyed = header(event, 'idempotency-key') !== undefined;
  return new ServiceUnavailableError(keyed ? UNCONFIRMED.keyed : UNCONFIRMED.keyless, { cause: error });
}
