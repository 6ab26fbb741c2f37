import { balanceOf } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { json, problemResponse } from '../http/response.ts';
import type { HttpResult } from '../http/types.ts';
import type { Clock } from '../shared/clock.ts';
import { logger } from '../shared/logger.ts';
import { refundCharge } from './charges.ts';
import type { StoredResponse, TxnItem } from './txn.ts';
import { completeTxn, saveResponse } from './txn-store.ts';

/** A stored answer given again, marked as a replay (draft-ietf-httpapi-idempotency-key-header). */
export function replayed(response: StoredResponse): HttpResult {
  return { statusCode: response.statusCode, headers: { ...response.headers, 'Idempotent-Replayed': 'true' }, body: response.body };
}

export function stored(response: HttpResult): StoredResponse {
  return { statusCode: response.statusCode, headers: response.headers, body: typeof response.body === 'string' ? response.body : '' };
}

/**
 * Runs charged work: on success the txn completes with its answer kept for replays; when the
 * work throws, the credits are refunded and the customer is told so. Pays only for delivered work.
 */
export async function runCharged(txn: TxnItem, work: () => Promise<unknown>, clock: Clock): Promise<HttpResult> {
  let result: unknown;
  try {
    result = await work();
  } catch (error) {
    logger.error('metered work failed; refunding', { error, txnId: txn.id, operation: txn.operation });
    await refundCharge(txn, clock.now());
    const response = problemResponse(
      {
        status: 500,
        slug: 'work-failed',
        title: 'Your query failed on our side',
        detail: `The ${txn.operation ?? 'query'} could not be completed. The ${txn.credits} credits it cost have been refunded; send it again with a new Idempotency-Key.`,
        extensions: { refunded: txn.credits, query: { id: txn.id, status: 'failed' } },
      },
      `/v1/queries/${txn.id}`,
    );
    await saveResponse(txn, stored(response));
    return response;
  }
  const now = clock.now();
  const account = await findAccount(txn.accountId);
  const balance = balanceOf({ balance: account?.balance ?? 0 }, now);
  const response = json(
    200,
    { id: txn.id, operation: txn.operation, status: 'completed', charged: txn.credits, result, balance },
    { 'Credits-Charged': String(txn.credits), 'Credits-Remaining': String(balance.available) },
  );
  await completeTxn(txn, { result, response: stored(response), at: now });
  return response;
}
