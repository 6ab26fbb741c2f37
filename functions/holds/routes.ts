import { identifyClient, requireClientAccount } from '../accounts/auth.ts';
import { balanceOf } from '../accounts/model.ts';
import { getAccount } from '../accounts/store.ts';
import type { RouteMap } from '../http/handler.ts';
import { idempotencyKey, parseBody, pathParam } from '../http/request.ts';
import { json } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { replayed, stored } from '../metering/metered-call.ts';
import { saveResponse } from '../metering/txn-store.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { refusalAnswer } from '../recovery/refusal.ts';
import { durationMs } from '../reminders/duration.ts';
import type { Clock } from '../shared/clock.ts';
import { derivedId, randomId } from '../shared/ids.ts';
import { openHold, placeHold, releaseHold, settleHold } from './holds.ts';
import { HOLD_ID, holdView, placeHoldSchema, releaseHoldSchema, settleHoldSchema } from './model.ts';

export interface HoldDeps {
  pricing: PriceBook;
  clock: Clock;
}

/** Holds for work priced afterwards: place, settle, release, show (API key). */
export function holdRoutes(deps: HoldDeps): RouteMap {
  return {
    'POST /v1/holds': (event) => place(event, deps),
    'GET /v1/holds/{holdId}': async (event) => {
      const { owner, account } = await requireClientAccount(event);
      const hold = await openHold(owner.accountId, pathParam(event, 'holdId', HOLD_ID));
      return json(200, holdView(hold, balanceOf(account, deps.clock.now())));
    },
    'POST /v1/holds/{holdId}/settle': async (event) => {
      // The key must be active before the hold is read: a revoked key learns nothing about it.
      const { owner } = await requireClientAccount(event);
      const holdId = pathParam(event, 'holdId', HOLD_ID);
      const { value } = parseBody(event, settleHoldSchema());
      const now = deps.clock.now();
      const settled = await settleHold({ ...owner, holdId, actual: value.credits, policy: deps.pricing.holdOverage ?? 'cap', now });
      return answer(settled.hold, settled.applied, deps);
    },
    'POST /v1/holds/{holdId}/release': async (event) => {
      const { owner } = await requireClientAccount(event);
      const holdId = pathParam(event, 'holdId', HOLD_ID);
      if (event.body) parseBody(event, releaseHoldSchema());
      const released = await releaseHold({ ...owner, holdId, now: deps.clock.now(), by: 'request' });
      return answer(released.hold, released.applied, deps);
    },
  };
}

async function place(event: HttpEvent, deps: HoldDeps): Promise<HttpResult> {
  const owner = await identifyClient(event);
  const key = idempotencyKey(event, false);
  const { value, hash } = parseBody(event, placeHoldSchema());
  const now = deps.clock.now();
  const start = await placeHold({
    ...owner,
    holdId: key ? derivedId('hd', owner.accountId, key) : randomId('hd'),
    operation: value.operation,
    credits: value.credits,
    expiresAt: new Date(now.getTime() + (durationMs(value.expiresIn) ?? 0)),
    requestHash: hash,
    now,
  });
  if (start.kind === 'replay') return replayed(start.response);
  if (start.kind === 'insufficient') return refusalAnswer(event, start, now);
  const account = await getAccount(owner.accountId);
  const response = json(201, holdView(start.txn, balanceOf(account, deps.clock.now())), { Location: `/v1/holds/${start.txn.id}` });
  await saveResponse(start.txn, stored(response));
  return response;
}

/** The hold after a settle or release, marked as a replay when an earlier request had already done it. */
async function answer(hold: Parameters<typeof holdView>[0], applied: boolean, deps: HoldDeps): Promise<HttpResult> {
  const account = await getAccount(hold.accountId);
  const response = json(200, holdView(hold, balanceOf(account, deps.clock.now())));
  return applied ? response : { ...response, headers: { ...response.headers, 'Idempotent-Replayed': 'true' } };
}
