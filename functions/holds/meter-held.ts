import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { identifyClient } from '../accounts/auth.ts';
import { type AccountRef, accountIdOf } from '../accounts/resolve.ts';
import { findAccount } from '../accounts/store.ts';
import { fields, idempotencyKey } from '../http/request.ts';
import { problemResponse } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { answerRefusal, replayed, stored } from '../metering/metered-call.ts';
import type { TxnItem } from '../metering/txn.ts';
import { saveResponse } from '../metering/txn-store.ts';
import { priceBook } from '../pricing/configured.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { refusalAnswer } from '../recovery/respond.ts';
import { durationMs } from '../reminders/duration.ts';
import type { Clock } from '../shared/clock.ts';
import { GoneError, PriceMisconfiguredError, TollgateError } from '../shared/errors.ts';
import { derivedId, randomId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { placeHold, releaseHold, settleHold } from './holds.ts';
import { DEFAULT_HOLD_EXPIRES_IN } from './model.ts';

/** `meter()` for work priced only when it is done: an estimate is held before, the actual price settled after. */
export interface DeferredPricing<TEvent extends HttpEvent = HttpEvent> {
  /** The operation the ledger, usage and the 402 record the call under. */
  operation: string;
  /** Credits to hold before the handler runs (whole, ≥ 1); more than the caller has is a 402 and the handler does not run. */
  estimate: (event: TEvent) => number | Promise<number>;
  /**
   * Credits the call cost, from your handler's answer (e.g. the token count it reports), whole and ≥ 0.
   * Above the estimate, the price book's `holdOverage` decides (`cap` by default). If it throws, the
   * estimate is charged and the error logged: the work was delivered.
   */
  settle: (response: HttpResult, event: TEvent) => number | Promise<number>;
  /** How long the hold lasts if the function dies before settling (then it is released, not charged). @default 'PT15M' */
  expiresIn?: string;
}

export interface HeldMeterSettings<TEvent extends HttpEvent> {
  account?: (event: TEvent) => AccountRef | undefined | Promise<AccountRef | undefined>;
  requireIdempotencyKey: boolean;
  idPrefix: string;
  pricing?: PriceBook;
  clock: Clock;
  requestHash: (event: TEvent) => string;
}

/**
 * The deferred-pricing half of `meter()`: holds the estimate before the handler (a 402 when it
 * cannot), settles the actual price from the handler's answer, and releases the whole hold when the
 * handler throws or answers 5xx. A retry with the same `Idempotency-Key` replays the final answer;
 * one that arrives while the work runs gets a 409 to retry later. A hold left by a dead invocation
 * expires and is released by the sweep: the caller never pays for work that did not finish.
 */
export function heldMeter<TEvent extends HttpEvent>(
  pricing: DeferredPricing<TEvent>,
  settings: HeldMeterSettings<TEvent>,
): middy.MiddlewareObj<TEvent, HttpResult, Error, Context> {
  if (!fields.operation.safeParse(pricing.operation).success)
    throw new PriceMisconfiguredError(`meter(): "${pricing.operation}" is not a valid operation name (lower case, e.g. "complete").`);
  const expiresInMs = durationMs(pricing.expiresIn ?? DEFAULT_HOLD_EXPIRES_IN);
  if (expiresInMs === undefined) throw new PriceMisconfiguredError(`meter(): expiresIn "${pricing.expiresIn}" is not an ISO-8601 duration such as "PT15M".`);
  const holds = new WeakMap<object, { hold: TxnItem; keyId?: string }>();

  return {
    before: async (request) => {
      const { event } = request;
      const owner = settings.account ? { accountId: await accountIdOf(await settings.account(event)), keyId: undefined } : await identifyClient(event);
      const key = settings.requireIdempotencyKey ? idempotencyKey(event, true) : idempotencyKey(event, false);
      const credits = await wholeCredits(() => pricing.estimate(event), 1, 'estimate');
      const now = settings.clock.now();
      const start = await placeHold({
        ...owner,
        holdId: key ? derivedId(settings.idPrefix, owner.accountId, key) : randomId(settings.idPrefix),
        operation: pricing.operation,
        credits,
        expiresAt: new Date(now.getTime() + expiresInMs),
        requestHash: settings.requestHash(event),
        now,
      });
      if (start.kind === 'replay') return replayed(start.response);
      if (start.kind === 'insufficient') return refusalAnswer(event, start, now);
      holds.set(request, { hold: start.txn, keyId: owner.keyId });
      return undefined;
    },
    after: async (request) => {
      const held = holds.get(request);
      if (!held) return;
      holds.delete(request);
      const response = request.response;
      if (typeof response?.statusCode !== 'number' || response.statusCode >= 500) {
        request.response = await releaseAfterFailure(held.hold, response?.statusCode === undefined ? undefined : response, settings.clock);
        return;
      }
      const actual = await wholeCredits(() => pricing.settle(response, request.event), 0, 'settle').catch((error: unknown) => {
        logger.error('meter(): the settle function failed; charging the estimate', { error, holdId: held.hold.id });
        return held.hold.credits;
      });
      const policy = (settings.pricing ?? priceBook()).holdOverage ?? 'cap';
      const settled = await settleHold({ accountId: held.hold.accountId, holdId: held.hold.id, actual, policy, now: settings.clock.now() }).catch(
        expiredMeanwhile,
      );
      // The hold outlived its expiry while the work ran and was released: the work is delivered, uncharged.
      const hold = settled?.hold ?? { ...held.hold, settledCredits: 0 };
      const account = await findAccount(hold.accountId);
      const answer = {
        ...response,
        headers: { ...response.headers, 'Credits-Charged': String(hold.settledCredits ?? 0), 'Credits-Remaining': String(account?.balance ?? 0) },
      };
      await saveResponse(hold, stored(answer));
      request.response = answer;
    },
    onError: async (request) => {
      const held = holds.get(request);
      holds.delete(request);
      if (held) {
        logger.error('metered work failed; releasing its hold', { error: request.error, holdId: held.hold.id });
        request.response = await releaseAfterFailure(held.hold, undefined, settings.clock);
        return;
      }
      answerRefusal(request);
    },
  };
}

/** A hold released on expiry before the work finished: nothing to settle (logged, so `expiresIn` can be raised). */
function expiredMeanwhile(error: unknown): undefined {
  if (!(error instanceof GoneError)) throw error;
  logger.warn('meter(): the hold expired before the work finished; the call is not charged', { error });
  return undefined;
}

/** A whole number of credits from an estimate or settle function, at least `min`. */
async function wholeCredits(compute: () => number | Promise<number>, min: number, what: string): Promise<number> {
  let credits: number;
  try {
    credits = await compute();
  } catch (error) {
    if (error instanceof TollgateError) throw error;
    throw new PriceMisconfiguredError(`meter(): the ${what} function failed.`, { cause: error });
  }
  if (!Number.isSafeInteger(credits) || credits < min)
    throw new PriceMisconfiguredError(`meter(): the ${what} must be a whole number of credits ≥ ${min}, not ${credits}.`);
  return credits;
}

/** The work failed: the hold goes back whole, and the answer (the handler's 5xx, or a problem) says nothing was charged. */
async function releaseAfterFailure(hold: TxnItem, response: HttpResult | undefined, clock: Clock): Promise<HttpResult> {
  await releaseHold({ accountId: hold.accountId, holdId: hold.id, now: clock.now(), by: 'request' });
  const answer = response
    ? { ...response, headers: { ...response.headers, 'Credits-Charged': '0', 'Credits-Released': String(hold.credits) } }
    : problemResponse(
        {
          status: 500,
          slug: 'work-failed',
          title: 'Your request failed on our side',
          detail: `The ${hold.operation ?? 'request'} could not be completed. The ${hold.credits} credits held for it were released; nothing was charged. Send it again with a new Idempotency-Key.`,
          extensions: { released: hold.credits },
        },
        `urn:tollgate:txn:${hold.id}`,
      );
  await saveResponse(hold, stored(answer));
  return answer;
}
