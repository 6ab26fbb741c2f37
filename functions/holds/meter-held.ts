import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { identifyClient } from '../accounts/auth.ts';
import { type AccountRef, accountIdOf } from '../accounts/resolve.ts';
import { findAccount } from '../accounts/store.ts';
import { idempotencyKey } from '../http/request.ts';
import { problemResponse } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { answerRefusal, replayed, stored } from '../metering/metered-call.ts';
import type { TxnItem } from '../metering/txn.ts';
import { saveResponse } from '../metering/txn-store.ts';
import { priceBook } from '../pricing/configured.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { refusalAnswer } from '../recovery/refusal.ts';
import type { Clock } from '../shared/clock.ts';
import { GoneError, PriceMisconfiguredError, TollgateError } from '../shared/errors.ts';
import { derivedId, randomId } from '../shared/ids.ts';
import { logger, withLogsWritten } from '../shared/logger.ts';
import { placeHold, releaseHold, settleHold } from './holds.ts';
import { isStreamBody, type StreamBody, whenBodyEnds } from './stream-end.ts';

/** An answer `meter()` with deferred pricing accepts: a string body, or a stream (middy's `streamifyResponse`). */
export type MeteredResult = Omit<HttpResult, 'body'> & { body?: string | StreamBody };

/** `meter()` for work priced only when it is done: an estimate is held before, the actual price settled after. */
export interface DeferredPricing<TEvent extends HttpEvent = HttpEvent, TResult extends MeteredResult = HttpResult> {
  /** The operation the ledger, usage and the 402 record the call under. */
  operation: string;
  /** Credits to hold before the handler runs (whole, ≥ 1); more than the caller has is a 402 and the handler does not run. */
  estimate: (event: TEvent) => number | Promise<number>;
  /**
   * Credits the call cost, from your handler's answer (e.g. the token count it reports), whole and ≥ 0.
   * Above the estimate, the price book's `holdOverage` decides (`cap` by default). If it throws, the
   * estimate is charged and the error logged: the work was delivered. For a streamed answer it is
   * called when the stream has ended, so it can read what your handler counted while streaming.
   */
  settle: (response: TResult, event: TEvent) => number | Promise<number>;
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
 * `expiresInMs` is the holds' lifetime, checked where `meter()` was called (`deferredHoldMs`).
 */
export function heldMeter<TEvent extends HttpEvent, TResult extends MeteredResult>(
  pricing: DeferredPricing<TEvent, TResult>,
  settings: HeldMeterSettings<TEvent>,
  expiresInMs: number,
): middy.MiddlewareObj<TEvent, TResult, Error, Context> {
  /** The hold of each request in flight, from `before` to `after` or `onError`. */
  const holds = new WeakMap<object, TxnItem>();

  /** Settles the hold from the answer; the hold as it ended and the balance after. */
  const settleFrom = async (response: TResult, event: TEvent, hold: TxnItem) => {
    const actual = await wholeCredits(() => pricing.settle(response, event), 0, 'settle').catch((error: unknown) => {
      logger.error('meter(): the settle function failed; charging the estimate', { error, holdId: hold.id });
      return hold.credits;
    });
    const policy = (settings.pricing ?? priceBook()).holdOverage ?? 'cap';
    const settled = await settleHold({ accountId: hold.accountId, holdId: hold.id, actual, policy, now: settings.clock.now() }).catch(expiredMeanwhile);
    // The hold outlived its expiry while the work ran and was released: the work is delivered, uncharged.
    const final = settled?.hold ?? { ...hold, settledCredits: 0 };
    const account = await findAccount(hold.accountId);
    return { hold: final, charged: final.settledCredits ?? 0, remaining: account?.balance ?? 0 };
  };

  /**
   * A streamed answer: its headers are sent before the work is done, so they name the hold, and the
   * hold is settled when the body ends (released when it breaks). A retry gets what it cost, not the stream.
   */
  const streamed = (response: TResult & { body: StreamBody }, event: TEvent, hold: TxnItem): TResult => ({
    ...response,
    headers: { ...response.headers, 'Credits-Hold-Id': hold.id, 'Credits-Held': String(hold.credits) },
    // These run while the stream is read, after meter()'s phases: each waits for its own log lines.
    body: whenBodyEnds(response.body, {
      ended: withLogsWritten(async () => {
        const settled = await settleFrom(response, event, hold);
        await saveResponse(settled.hold, stored(streamedSummary(response.statusCode, settled)));
      }),
      failed: withLogsWritten(async (error: unknown) => {
        logger.error('metered work failed while streaming; releasing its hold', { error, holdId: hold.id });
        await releaseAfterFailure(hold, undefined, settings.clock);
      }),
    }),
  });

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
      holds.set(request, start.txn);
      return undefined;
    },
    after: async (request) => {
      const hold = holds.get(request);
      if (!hold) return;
      holds.delete(request);
      const response = request.response;
      if (typeof response?.statusCode !== 'number' || response.statusCode >= 500) {
        const failed = response?.statusCode === undefined || isStreamBody(response.body) ? undefined : (response as HttpResult);
        request.response = (await releaseAfterFailure(hold, failed, settings.clock)) as TResult;
        return;
      }
      if (isStreamBody(response.body)) {
        request.response = streamed(response as TResult & { body: StreamBody }, request.event, hold);
        return;
      }
      const settled = await settleFrom(response, request.event, hold);
      const answer = {
        ...(response as HttpResult),
        headers: { ...response.headers, 'Credits-Charged': String(settled.charged), 'Credits-Remaining': String(settled.remaining) },
      };
      await saveResponse(settled.hold, stored(answer));
      request.response = answer as unknown as TResult;
    },
    onError: async (request) => {
      const hold = holds.get(request);
      holds.delete(request);
      if (hold) {
        logger.error('metered work failed; releasing its hold', { error: request.error, holdId: hold.id });
        request.response = (await releaseAfterFailure(hold, undefined, settings.clock)) as TResult;
        return;
      }
      answerRefusal(request as unknown as middy.Request<TEvent, HttpResult, Error, Context>);
    },
  };
}

/** What a retry of a streamed call gets: the stream is not kept, what it cost is. */
function streamedSummary(statusCode: number, settled: { hold: TxnItem; charged: number; remaining: number }): HttpResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Credits-Charged': String(settled.charged), 'Credits-Remaining': String(settled.remaining) },
    body: JSON.stringify({
      holdId: settled.hold.id,
      operation: settled.hold.operation,
      charged: settled.charged,
      detail: 'This call was answered with a stream, which is not kept for replays; it was completed and charged once.',
    }),
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
