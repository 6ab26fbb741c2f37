import type { BalanceChange } from '../accounts/model.ts';
import { keys } from '../table/keys.ts';

/** Query ids: `q_` and a random or Idempotency-Key-derived suffix. */
export const QUERY_ID = /^q_[A-Za-z0-9_-]{16,32}$/;

/** `reversal`: credits taken back because the payment that bought them was refunded. */
export type TxnKind = 'query' | 'top_up' | 'debit' | 'grant' | 'expiry' | 'reversal' | 'hold';
/** `parked`: a query refused for credits, resumable; `refused`: an admin debit refused for credits. */
/** Holds: `held` until `settled` (the actual price taken) or `released` (given back whole, by request or on expiry). */
export type TxnStatus = 'running' | 'completed' | 'failed' | 'parked' | 'refused' | 'held' | 'settled' | 'released';

/**
 * A stored response, replayed verbatim for a retry with the same Idempotency-Key. Larger bodies
 * are kept gzipped, so the txn record usually stays within one 1 KB write unit.
 */
export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body?: string;
  bodyGzip?: Uint8Array;
}

/**
 * One record per charge, top-up or parked query, keyed by an id derived from the
 * Idempotency-Key when there is one. A keyed charge writes it before its debit, a top-up in the
 * same transaction as its credit: it is what makes a retry find the first attempt instead of
 * charging again (docs/design/debit-protocol.md).
 */
export interface TxnItem {
  id: string;
  kind: TxnKind;
  accountId: string;
  status: TxnStatus;
  requestHash: string;
  /** Credits this txn moves: the price for queries and debits, the amount for top-ups. */
  credits: number;
  operation?: string;
  input?: unknown;
  reference?: string;
  response?: StoredResponse;
  createdAt: string;
  updatedAt: string;
  /** Parked queries can be resumed until then. */
  resumableUntil?: string;
  /** A paid top-up: when its receipt email went out (sent once however often the payment event arrives). */
  receiptSentAt?: string;
  /** A hold: released automatically at this time unless settled or released before. */
  holdExpiresAt?: string;
  /** A settled hold: the actual price the settle asked for, and the credits it took (less under the `cap` policy). */
  settleRequested?: number;
  settledCredits?: number;
  /** A released hold: `request` (released by the caller or `meter()` after a failure) or `expired`. */
  releasedBy?: 'request' | 'expired';
  /**
   * Never stored: a key-less charge whose record does not exist yet. It is written once, when the
   * charge settles (completed or refunded), with `attribute_not_exists`, so exactly one of them happens.
   */
  unrecorded?: true;
  /**
   * A key-less charge taken from a sub-balance of a sharded account, or refused on one: its record
   * lives on one of 64 partition keys picked by its id (`keys.spreadTxn`), not on the account's,
   * whose write ceiling the sub-balances exist to pass.
   */
  spread?: true;
  /** Who wrote a keyed charge's record (a random id): the SDK's retry of that `PutItem` finds its own record, not a duplicate. */
  attempt?: string;
  /**
   * A running charge whose debit was taken in one transaction with this record (a resume, a sharded account's keyed
   * charge): known to be paid for. A keyed charge's record is otherwise written before its debit, and whether the debit
   * followed is read from the account (`chargeTaken`).
   */
  debited?: true;
  /** When DynamoDB's TTL removes the record; absent on top-ups, kept for good so that a key never credits twice. */
  expiresAtEpoch?: number;
}

const CREDITING: ReadonlySet<TxnKind> = new Set(['top_up', 'grant']);

/**
 * A txn record that was just refused for credits (the depletion email, the `query.parked` and `balance.depleted`
 * webhook events): a key-less charge's record put parked or refused, or a keyed charge's `running` record (written
 * before its debit) moved there. Later writes to a refused record (its stored answer, a resume) are not refusals.
 */
export function becameRefused(old: Pick<TxnItem, 'status'> | undefined, txn: Pick<TxnItem, 'status'>): boolean {
  return (txn.status === 'parked' || txn.status === 'refused') && (!old || old.status === 'running');
}

/** Where a txn's record lives: on the account's partition key, or spread (a sharded key-less charge). */
export function txnKey(txn: Pick<TxnItem, 'accountId' | 'id' | 'spread'>): { pk: string; sk: string } {
  return txn.spread ? keys.spreadTxn(txn.accountId, txn.id) : keys.txn(txn.accountId, txn.id);
}

/** The record as stored: a key-less charge's in-memory marker is dropped. */
export function recordOf(txn: TxnItem): TxnItem {
  const { unrecorded: _, ...record } = txn;
  return record;
}

/** The balance change a txn makes, as recorded on the account item for the ledger. */
export function changeFor(txn: Pick<TxnItem, 'id' | 'kind' | 'credits' | 'operation' | 'reference' | 'unrecorded'>, at: Date): BalanceChange {
  const isQuery = txn.kind === 'query';
  return {
    ...(txn.unrecorded ? { pendingTxn: true } : {}),
    id: txn.id,
    type: txn.kind === 'query' ? 'debit' : txn.kind,
    credits: CREDITING.has(txn.kind) ? txn.credits : -txn.credits,
    operation: txn.operation,
    queryId: isQuery ? txn.id : undefined,
    reference: txn.reference,
    at: at.toISOString(),
  };
}

export function refundFor(txn: Pick<TxnItem, 'id' | 'kind' | 'credits' | 'operation'>, at: Date): BalanceChange {
  return {
    id: `${txn.id}.refund`,
    type: 'refund',
    credits: txn.credits,
    operation: txn.operation,
    queryId: txn.kind === 'query' ? txn.id : undefined,
    at: at.toISOString(),
  };
}
