import { logger } from '../shared/logger.ts';
import { changeBalance } from './balance-store.ts';
import { gatherShards, spreadAfterCredit } from './sharded-debit.ts';
import { changeFor, type TxnItem } from './txn.ts';

export interface TopUpRequest {
  accountId: string;
  /** Derived from what makes the top-up unique (an Idempotency-Key, a payment's session id). */
  txnId: string;
  credits: number;
  /** What the credits are for, kept on the txn and the ledger entry (an invoice, a checkout session). */
  reference?: string;
  /** Tells a retry of the same top-up from a different one under the same key. */
  requestHash: string;
  now: Date;
}

export type TopUpOutcome =
  | { kind: 'credited'; txn: TxnItem }
  /** A top-up under this id was applied before: this is a retry or a redelivery. */
  | { kind: 'already-credited'; existing?: TxnItem }
  | { kind: 'account-missing' }
  /** The balance would pass the ceiling. */
  | { kind: 'over-limit' };

/**
 * Money enters through this one door: the admin top-up API and paid checkouts both credit here.
 * The txn record is written in the same transaction as the balance, so a retried request or a
 * redelivered payment event credits once.
 */
export async function creditTopUp(request: TopUpRequest): Promise<TopUpOutcome> {
  const at = request.now.toISOString();
  const txn: TxnItem = {
    id: request.txnId,
    kind: 'top_up',
    accountId: request.accountId,
    status: 'completed',
    requestHash: request.requestHash,
    credits: request.credits,
    reference: request.reference,
    createdAt: at,
    updatedAt: at,
    // No expiry: the record is what keeps a key (or a payment) from ever crediting twice.
  };
  // On a sharded account the sub-balances are gathered first, so the alert baseline the top-up sets is the total.
  const sharded = await gatherShards(request.accountId, request.now);
  const outcome = await changeBalance({ accountId: request.accountId, change: changeFor(txn, request.now), txn: { put: txn } });
  switch (outcome.kind) {
    case 'applied':
      // An account that was not sharded when read keeps the top-up on its item (it is the whole balance).
      if (sharded) await spreadOnSharded(request.accountId, request.now);
      return { kind: 'credited', txn };
    case 'txn-conflict':
      return { kind: 'already-credited', existing: outcome.existing };
    case 'account-missing':
      return { kind: 'account-missing' };
    default:
      return { kind: 'over-limit' };
  }
}

/**
 * A sharded account's top-up lands on its item (the reserve); spreading it to the sub-balances
 * saves debits the trip to find it. Best effort: credits left in the reserve count in the total
 * and debits find them.
 */
async function spreadOnSharded(accountId: string, now: Date): Promise<void> {
  await spreadAfterCredit(accountId, now).catch((error: unknown) => logger.warn('top-up not spread over sub-balances', { error, accountId }));
}
