import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { identifyClient } from '../accounts/auth.ts';
import type { AccountItem } from '../accounts/model.ts';
import { type AccountRef, accountIdOf } from '../accounts/resolve.ts';
import { deferredHoldMs } from '../holds/lifetime.ts';
import type { DeferredPricing, HeldMeterSettings, MeteredResult } from '../holds/meter-held.ts';
import { fields, header, idempotencyKey } from '../http/request.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { priceBook } from '../pricing/configured.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { priceOf } from '../pricing/prices.ts';
import { refusalAnswer } from '../recovery/refusal.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import { PriceMisconfiguredError, TollgateError } from '../shared/errors.ts';
import { derivedId, randomId, sha256 } from '../shared/ids.ts';
import { writingLogs } from '../shared/logger.ts';
import { startCharge } from './charges.ts';
import { answerRefusal, balanceAfterCharge, replayed, settleFailure, settleSuccess } from './metered-call.ts';
import type { TxnItem } from './txn.ts';

/** What one call costs: the operation it is recorded under (usage, ledger, 402) and its price in credits. */
export interface MeterPrice {
  operation: string;
  credits: number;
}

export type { AccountRef };

export interface MeterOptions<TEvent extends HttpEvent = HttpEvent> {
  /**
   * The price of a call: an operation name from the price book (`priceBook.operations`),
   * or a function of the event, e.g. `(event) => ({ operation: 'render', credits: pages(event) })`.
   * A TollgateError it throws (e.g. `ValidationError`) is answered as problem+json; nothing is charged.
   */
  price: string | ((event: TEvent) => MeterPrice | Promise<MeterPrice>);
  /**
   * Identify the account from your platform's own auth instead of a Tollgate API key: return its
   * Tollgate `accountId`, or the `externalId` it was created with (your tenant id), e.g. from a JWT
   * authorizer's claims: `(event) => ({ externalId: event.requestContext.authorizer.jwt.claims.tenant })`.
   * Nothing returned is a 401; an id that names no account is a 403. The debit is as atomic as with
   * a key, and applies only while the account exists. @default the caller's `Authorization: Bearer tg_…` key
   */
  account?: (event: TEvent) => AccountRef | undefined | Promise<AccountRef | undefined>;
  /** Refuse calls without an `Idempotency-Key` header. @default false - optional, but retries are only safe with one */
  requireIdempotencyKey?: boolean;
  /** Prefix of the txn ids this endpoint's charges get. @default 'mt' */
  idPrefix?: string;
  /** Where operation names are priced. @default the deployment's price book, read on the first call */
  pricing?: PriceBook;
  /**
   * What time it is, for the charge's record and ledger change. It must keep to real time within a minute: whether an
   * abandoned charge was debited is read against the ledger's times, which are the stream consumer's (charge-taken.ts).
   * @default the system clock
   */
  clock?: Clock;
}

/** `meter()` for work priced afterwards: `operation`, `estimate` and `settle` instead of `price`. */
export type DeferredMeterOptions<TEvent extends HttpEvent = HttpEvent, TResult extends MeteredResult = HttpResult> = Omit<MeterOptions<TEvent>, 'price'> &
  DeferredPricing<TEvent, TResult>;

export type { MeteredResult };

const defaults = {
  requireIdempotencyKey: false,
  idPrefix: 'mt',
  clock: systemClock,
};

/**
 * Credit metering for your own Lambda handler (API Gateway HTTP API, payload format 2.0), as a
 * middy middleware. Before your handler runs it identifies the caller by their Tollgate API key
 * (`Authorization: Bearer tg_…`), or by your own auth with the `account` option, and debits the
 * price atomically, never below zero. Then:
 *
 * - a retry with the same `Idempotency-Key` gets the stored answer again (`Idempotent-Replayed: true`),
 *   and your handler does not run;
 * - a caller who is short gets the standard `402` recovery answer, and your handler does not run;
 * - if your handler throws or answers `5xx`, the credits are refunded (at most once);
 * - otherwise the call completes: the answer is kept for replays and gets `Credits-Charged` and
 *   `Credits-Remaining` headers.
 *
 * For work priced only when it is done (tokens, rows, minutes) give `operation`, `estimate` and
 * `settle` instead of `price`: the estimate is held before your handler runs and the actual price
 * settled from its answer; a throw or a 5xx releases the hold (see `DeferredPricing`).
 *
 * The function needs `TABLE_NAME` and read-write access to the Tollgate table and the admin key
 * and link secrets: the `MeteredFunction` construct gives it all of that. Register `meter()` last,
 * so that it sees your handler's own response and errors first.
 *
 * @example
 * export const handler = middy<HttpEvent, HttpResult>()
 *   .use(meter({ price: (event) => ({ operation: 'thumbnail', credits: sizeOf(event) > 1_000_000 ? 5 : 1 }) }))
 *   .handler(async (event) => ({ statusCode: 200, headers: {}, body: await render(event) }));
 *
 * @example
 * // An LLM endpoint billed by tokens: hold for the most it may use, charge what it used.
 * export const handler = middy<HttpEvent, HttpResult>()
 *   .use(meter({ operation: 'complete', estimate: (event) => maxTokens(event), settle: (response) => Number(response.headers?.['x-tokens']) }))
 *   .handler(complete);
 */
export function meter<TEvent extends HttpEvent = HttpEvent>(opts: MeterOptions<TEvent>): middy.MiddlewareObj<TEvent, HttpResult, Error, Context>;
export function meter<TEvent extends HttpEvent = HttpEvent, TResult extends MeteredResult = HttpResult>(
  opts: DeferredMeterOptions<TEvent, TResult>,
): middy.MiddlewareObj<TEvent, TResult, Error, Context>;
export function meter<TEvent extends HttpEvent = HttpEvent>(
  opts: MeterOptions<TEvent> | DeferredMeterOptions<TEvent, MeteredResult>,
): middy.MiddlewareObj<TEvent, HttpResult, Error, Context> | middy.MiddlewareObj<TEvent, MeteredResult, Error, Context> {
  if ('estimate' in opts) return writingLogs(deferredMeter(opts, { ...defaults, ...opts, requestHash }));
  const options = { ...defaults, ...opts };
  // A named operation is priced on its first call, not at import: the price book is read once per container.
  const priceOfEvent: PriceOfEvent<TEvent> =
    typeof options.price === 'string' ? named(options.price, () => options.pricing ?? priceBook()) : computed(options.price);
  /** The charge of each request in flight, from `before` to `after` or `onError`, and the balance item it answers with (`balanceAfterCharge`). */
  const charges = new WeakMap<object, { txn: TxnItem; afterCharge: Promise<AccountItem | undefined> }>();

  const meterMiddlewareBefore: middy.MiddlewareFn<TEvent, HttpResult, Error, Context> = async (request) => {
    const { event } = request;
    const owner = options.account ? { accountId: await accountIdOf(await options.account(event)), keyId: undefined } : await identifyClient(event);
    const key = options.requireIdempotencyKey ? idempotencyKey(event, true) : idempotencyKey(event, false);
    const price = await priceOfEvent(event);
    const now = options.clock.now();
    const start = await startCharge({
      accountId: owner.accountId,
      keyId: owner.keyId,
      platformIdentity: options.account !== undefined,
      kind: 'debit',
      keyless: !key,
      txnId: key ? derivedId(options.idPrefix, owner.accountId, key) : randomId(options.idPrefix),
      operation: price.operation,
      credits: price.credits,
      requestHash: requestHash(event),
      now,
    });
    if (start.kind === 'replay') return replayed(start.response);
    if (start.kind === 'insufficient') return refusalAnswer(event, start, now);
    // Asked for now, while the team's handler runs: see balanceAfterCharge.
    charges.set(request, { txn: start.txn, afterCharge: balanceAfterCharge(start.txn, start.account) });
    return undefined;
  };

  const meterMiddlewareAfter: middy.MiddlewareFn<TEvent, HttpResult, Error, Context> = async (request) => {
    const charge = charges.get(request);
    if (!charge) return;
    charges.delete(request);
    const { txn } = charge;
    const response = request.response;
    if (typeof response?.statusCode !== 'number') {
      request.response = await settleFailure(txn, { error: new Error('The metered handler returned no response with a statusCode.') }, options.clock);
      return;
    }
    request.response =
      response.statusCode >= 500
        ? await settleFailure(txn, { response }, options.clock)
        : await settleSuccess(txn, () => response, options.clock, charge.afterCharge);
  };

  const meterMiddlewareOnError: middy.MiddlewareFn<TEvent, HttpResult, Error, Context> = async (request) => {
    const txn = charges.get(request)?.txn;
    charges.delete(request);
    if (txn) {
      request.response = await settleFailure(txn, { error: request.error }, options.clock);
      return;
    }
    answerRefusal(request);
  };

  return writingLogs({ before: meterMiddlewareBefore, after: meterMiddlewareAfter, onError: meterMiddlewareOnError });
}

/**
 * `meter()` with deferred pricing: its options are checked now, and the hold machinery (`holds/meter-held.ts`) is
 * loaded beside the cold start, so a function with fixed prices never loads it.
 */
function deferredMeter<TEvent extends HttpEvent, TResult extends MeteredResult>(
  pricing: DeferredPricing<TEvent, TResult>,
  settings: HeldMeterSettings<TEvent>,
): middy.MiddlewareObj<TEvent, TResult, Error, Context> {
  const expiresInMs = deferredHoldMs(pricing);
  const held = import('../holds/meter-held.ts').then(({ heldMeter }) => heldMeter(pricing, settings, expiresInMs));
  // A failed load fails the calls that need it (their error reaches the chain's error handlers), not the process.
  held.catch(() => undefined);
  return {
    before: async (request) => (await held).before?.(request),
    after: async (request) => (await held).after?.(request),
    // The load's own failure is the error already being handled: the chain's other error handlers still run.
    onError: async (request) => (await held.catch(() => undefined))?.onError?.(request),
  };
}

type PriceOfEvent<TEvent> = (event: TEvent) => Promise<MeterPrice>;

/** An operation of the price book. An unknown one (or no price book) is answered with a problem+json 500 on every call, not a Lambda init error. */
function named<TEvent>(operation: string, book: () => PriceBook): PriceOfEvent<TEvent> {
  let price: MeterPrice | undefined;
  return async () => {
    if (price) return price;
    let pricing: PriceBook;
    try {
      pricing = book();
    } catch (error) {
      throw new PriceMisconfiguredError('meter(): the price book could not be read.', { cause: error });
    }
    const credits = priceOf(pricing, operation);
    if (credits === undefined) throw new PriceMisconfiguredError(`meter(): "${operation}" is not an operation of the price book (priceBook.operations).`);
    price = { operation, credits };
    return price;
  };
}

/** A price function's answer, checked. A TollgateError it throws stands; any other failure is a misconfigured price. */
function computed<TEvent>(price: (event: TEvent) => MeterPrice | Promise<MeterPrice>): PriceOfEvent<TEvent> {
  return async (event) => {
    let answer: MeterPrice;
    try {
      answer = await price(event);
    } catch (error) {
      if (error instanceof TollgateError) throw error;
      throw new PriceMisconfiguredError('meter(): the price function failed.', { cause: error });
    }
    if (!fields.operation.safeParse(answer?.operation).success)
      throw new PriceMisconfiguredError(`meter(): "${answer?.operation}" is not a valid operation name (lower case, e.g. "search").`);
    if (!Number.isSafeInteger(answer.credits) || answer.credits < 1)
      throw new PriceMisconfiguredError(`meter(): the price of "${answer.operation}" must be a whole number of credits ≥ 1, not ${answer.credits}.`);
    return answer;
  };
}

/** What makes two requests "the same" for an Idempotency-Key: method, path, query and body. */
function requestHash(event: HttpEvent): string {
  const body = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('base64') : event.body;
  return sha256([event.requestContext.http.method, event.rawPath, event.rawQueryString, header(event, 'content-type') ?? '', body].join('\n'));
}

/** The event and answer types a metered handler works with, so Lambda code needs only this entry point. */
export type { HttpEvent, HttpResult } from '../http/types.ts';
