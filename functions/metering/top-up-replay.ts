import { type Balance, balanceOf } from '../accounts/model.ts';
import { getAccount } from '../accounts/store.ts';
import { json } from '../http/response.ts';
import type { HttpResult } from '../http/types.ts';
import { addHours } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { ConflictError } from '../shared/errors.ts';
import { replayOf } from './charges.ts';
import { replayed, stored } from './metered-call.ts';
import type { TopUp } from './openapi.ts';
import type { TxnItem } from './txn.ts';
import { saveResponse } from './txn-store.ts';

/** The answer to a top-up; the same shape whether given first or rebuilt for a retry. */
export function topUpAnswer(txn: TxnItem, balance: Balance): HttpResult {
  return json(201, { id: txn.id, credits: txn.credits, reference: txn.reference, balance } satisfies TopUp);
}

/**
 * A top-up's retry. Its txn is written `completed` in the balance's own transaction and its answer
 * saved after it, so a crash in between leaves a completed top-up without an answer: the answer is
 * then rebuilt from the txn (with today's balance) and kept. The record never expires, so a key
 * never credits twice; past the idempotency window a retry is refused instead of replayed, since a
 * "retry" days later is more likely a re-run billing job that reused its key.
 */
export async function replayTopUp(existing: TxnItem | undefined, requestHash: string, now: Date): Promise<HttpResult> {
  if (existing?.kind === 'top_up' && existing.requestHash === requestHash) {
    if (addHours(new Date(existing.createdAt), config().IDEMPOTENCY_TTL_HOURS) < now) {
      throw new ConflictError(
        `This Idempotency-Key already credited ${existing.credits} credits on ${existing.createdAt}; nothing was applied again. Send a new top-up with a new Idempotency-Key.`,
      );
    }
    if (!existing.response) {
      const response = stored(topUpAnswer(existing, balanceOf(await getAccount(existing.accountId), now)));
      await saveResponse(existing, response);
      return replayed(response);
    }
  }
  return replayed(replayOf(requestHash, existing).response);
}
