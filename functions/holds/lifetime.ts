import { fields } from '../http/request.ts';
import { durationMs } from '../reminders/duration.ts';
import { PriceMisconfiguredError } from '../shared/errors.ts';

export const MIN_HOLD_MS = 60_000;
export const MAX_HOLD_MS = 24 * 3_600_000;
/** How long a hold lasts when the request (or `meter()`'s `expiresIn`) does not say. */
export const DEFAULT_HOLD_EXPIRES_IN = 'PT15M';

/**
 * How long `meter()`'s holds last, from its deferred-pricing options; a misconfigured operation or
 * `expiresIn` throws, so `meter()` fails where it is called (at cold start), not on the first call.
 */
export function deferredHoldMs(pricing: { operation: string; expiresIn?: string }): number {
  if (!fields.operation.safeParse(pricing.operation).success)
    throw new PriceMisconfiguredError(`meter(): "${pricing.operation}" is not a valid operation name (lower case, e.g. "complete").`);
  const expiresInMs = durationMs(pricing.expiresIn ?? DEFAULT_HOLD_EXPIRES_IN);
  if (expiresInMs === undefined) throw new PriceMisconfiguredError(`meter(): expiresIn "${pricing.expiresIn}" is not an ISO-8601 duration such as "PT15M".`);
  return expiresInMs;
}
