import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AccountItem, BalanceChange } from '../accounts/model.ts';
import { documentClient, REFUSED_UNAPPLIED, singleAttemptClient, tableName, throttlePatient } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';
import { collectShards, readSharded, totalOf, withTotal } from './shard-store.ts';
import { type TxnItem, txnKey } from './txn.ts';

/** Balances are capped so that sums stay exact in JavaScript numbers. */
export const MAX_BALANCE = 1_000_000_000_000;

type TxnItemWrite =
  /** Record a new txn; a record with the same id means this is a retry. */
  | { put: TxnItem }
  /** Move an existing txn from one status to another (resume, refund); fails if it is not in `from`. */
  /** `spread`: the record lives where a sharded account's key-less records do (`TxnItem.spread`). */
  /** `seen`: only while the record's `updatedAt` is still this (no retry has claimed it meanwhile). */
  | {
      transition: { accountId: string; txnId: string; spread?: true; from: TxnItem['status']; set: Partial<TxnItem>; resumableAfter?: string; seen?: string };
    };

export interface BalanceChangeRequest {
  accountId: string;
  change: BalanceChange;
  /** When set, the change only applies while this API key is active on the account. */
  activeKeyId?: string;
  /** When set, the change only applies to exactly this state, and sets the purchased remainder (renewal). */
  expected?: { balance: number; purchased: number; purchasedAfter: number };
  /** Marks the plan period as granted (renewal). */
  renewedPeriod?: string;
  /** Adds to the credits a refund could not take back (a reversal capped at the balance). */
  unrecovered?: number;
  /** Moves this many credits into (positive) or out of (negative) the account's open holds. */
  held?: number;
  txn: TxnItemWrite;
}

export type BalanceChangeOutcome =
  | { kind: 'applied' }
  | { kind: 'insufficient'; account: AccountItem }
  | { kind: 'account-missing' }
  | { kind: 'key-inactive' }
  /** The txn write's condition failed; carries the txn as it is. */
  | { kind: 'txn-conflict'; existing?: TxnItem };

const MAX_ATTEMPTS = 8;

/**
 * Changes a balance and writes its txn record in one DynamoDB transaction: the balance never
 * goes below zero (the condition is part of the write, not a prior read), the txn record makes
 * retries find the first attempt, and `lastChange` + `seq` on the account feed the ledger.
 */
export async function changeBalance(request: BalanceChangeRequest): Promise<BalanceChangeOutcome> {
  const price = -request.change.credits;
  for (let round = 0; ; round++) {
    const outcome = await changeBalanceOnce(request);
    // A sharded account keeps most credits in its sub-balances: before saying "short", gather them here.
    if (outcome.kind !== 'insufficient' || !outcome.account.shardSlots || request.expected || price <= 0) return outcome;
    const view = await readSharded(request.accountId, true);
    if (!view) return outcome;
    // Refused only on a consistent snapshot whose total does not cover the price (and shown that total).
    if (totalOf(view) < price || round >= MAX_ATTEMPTS) return { ...outcome, account: withTotal(view) };
    if (view.shards.some((shard) => shard.balance > 0)) await collectShards(view, new Date(request.change.at));
  }
}

async function changeBalanceOnce(request: BalanceChangeRequest): Promise<BalanceChangeOutcome> {
  const input = transaction(request);
  for (let attempt = 1; ; attempt++) {
    try {
      await documentClient().send(new TransactWriteCommand(input));
      return { kind: 'applied' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [accountReason, txnReason] = error.CancellationReasons ?? [];
      // A missing account or revoked key wins over a replay: a revoked key gets nothing back.
      const refusal = accountReason?.Code === 'ConditionalCheckFailed' ? accountRefusal(request, accountReason.Item) : undefined;
      if (refusal && refusal.kind !== 'insufficient') return refusal;
      if (txnReason?.Code === 'ConditionalCheckFailed') {
        return { kind: 'txn-conflict', existing: txnReason.Item ? (unmarshall(txnReason.Item) as TxnItem) : undefined };
      }
      if (refusal) return refusal;
      const conflicted = [accountReason, txnReason].some((reason) => reason?.Code === 'TransactionConflict');
      if (!conflicted || attempt >= MAX_ATTEMPTS) throw error;
      await backoff(attempt);
    }
  }
}

function accountRefusal(request: Pick<BalanceChangeRequest, 'activeKeyId'>, rawItem: Record<string, unknown> | undefined): BalanceChangeOutcome {
  if (!rawItem) return { kind: 'account-missing' };
  const account = unmarshall(rawItem as Parameters<typeof unmarshall>[0]) as AccountItem;
  if (request.activeKeyId && !account.keys?.[request.activeKeyId]) return { kind: 'key-inactive' };
  return { kind: 'insufficient', account };
}

export type BalanceDebitOutcome =
  | Exclude<BalanceChangeOutcome, { kind: 'applied' } | { kind: 'txn-conflict' }>
  /** `spread`: taken from a sub-balance of a sharded account (its record is spread too: `TxnItem.spread`). */
  | { kind: 'applied'; account: AccountItem; spread?: true }
  /** Asked with `unsharded`: the account keeps its credits in this many sub-balances (sharded-debit.ts). */
  | { kind: 'sharded'; shards: number };

/**
 * A balance change with no txn record written beside it (a key-less charge): one conditional
 * `UpdateItem`, 1 WRU, never a transaction conflict. Its `ALL_NEW` image is the balance item
 * right after this change, so the answer's `Credits-Remaining` needs no read; a refusal gets the
 * old image (`ALL_OLD`) for free. See docs/design/debit-protocol.md.
 */
export async function changeBalanceAlone(
  request: Omit<BalanceChangeRequest, 'txn'> & {
    unsharded?: boolean;
    /** With `unsharded`: the account's shard count once learned meanwhile (by a concurrent debit's refusal); a throttled probe stops waiting then. */
    shardsLearned?: () => number | undefined;
    /** How long a throttled debit is sent again (`throttlePatient`'s default when absent). */
    patienceMs?: number;
  },
): Promise<BalanceDebitOutcome> {
  const base = accountUpdate(request);
  // A sharded account's item holds only a reserve: a routed debit goes to its sub-balances instead.
  const update = new UpdateCommand({
    ...base,
    ConditionExpression: request.unsharded ? `${base.ConditionExpression} AND attribute_not_exists(#shards)` : base.ConditionExpression,
    ExpressionAttributeNames: request.unsharded ? { ...base.ExpressionAttributeNames, '#shards': 'shards' } : base.ExpressionAttributeNames,
    ReturnValues: 'ALL_NEW',
  });
  try {
    // Sent once: a retry after a lost answer would debit twice (the sweeper refunds a debit whose answer was lost).
    // Sent again only while throttled (refused unapplied): a hot account's first debits in a container all probe its item.
    const { Attributes } = await throttlePatient(
      () => singleAttemptClient().send(update),
      () => request.shardsLearned?.() !== undefined,
      request.patienceMs,
    );
    return { kind: 'applied', account: Attributes as AccountItem };
  } catch (error) {
    const learned = request.shardsLearned?.();
    if (learned !== undefined && REFUSED_UNAPPLIED.has((error as Error).name)) return { kind: 'sharded', shards: learned };
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const shards = request.unsharded ? (error.Item?.shards as { N?: string } | undefined)?.N : undefined;
    if (shards) return { kind: 'sharded', shards: Number(shards) };
    const refusal = accountRefusal(request, error.Item);
    if (refusal.kind === 'applied' || refusal.kind === 'txn-conflict') throw error;
    return refusal;
  }
}

function transaction(request: BalanceChangeRequest): TransactWriteCommandInput {
  return { TransactItems: [{ Update: accountUpdate(request) }, txnWrite(request.txn)] };
}

/** The balance item's conditional update: never below zero, never above the ceiling, only while the key is active. */
function accountUpdate(request: Omit<BalanceChangeRequest, 'txn'>) {
  const { change } = request;
  const conditions = ['attribute_exists(pk)'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':delta': change.credits, ':one': 1, ':change': change, ':at': change.at };
  const sets = ['balance = balance + :delta', 'seq = seq + :one', 'lastChange = :change', 'updatedAt = :at'];
  if (change.credits < 0) {
    conditions.push('balance >= :price');
    values[':price'] = -change.credits;
  } else {
    conditions.push('balance <= :ceiling');
    values[':ceiling'] = MAX_BALANCE - change.credits;
  }
  if (request.activeKeyId) {
    conditions.push('attribute_exists(#keys.#kid)');
    names['#keys'] = 'keys';
    names['#kid'] = request.activeKeyId;
  }
  if (change.type === 'top_up' || change.type === 'grant') {
    // A top-up or grant sets the alert baseline to the balance it produces (SET operands read the old values).
    sets.push('baseline = balance + :delta', 'baselineSeq = seq + :one', 'baselineAt = :at');
  }
  if (change.type === 'top_up') {
    // Purchased credits never expire; renewal tells them apart from plan credits by this running total.
    sets.push('purchased = if_not_exists(purchased, :zero) + :delta');
    values[':zero'] = 0;
  }
  if (request.expected) {
    // Renewal computes expiry from a read: apply it only to the state it was computed from.
    conditions.push('balance = :expectedBalance AND (purchased = :expectedPurchased OR (attribute_not_exists(purchased) AND :expectedPurchased = :zero))');
    sets.push('purchased = :purchasedAfter');
    Object.assign(values, {
      ':expectedBalance': request.expected.balance,
      ':expectedPurchased': request.expected.purchased,
      ':purchasedAfter': request.expected.purchasedAfter,
      ':zero': 0,
    });
  }
  if (request.unrecovered) {
    sets.push('unrecoveredCredits = if_not_exists(unrecoveredCredits, :none) + :unrecovered');
    values[':unrecovered'] = request.unrecovered;
    values[':none'] = 0;
  }
  if (request.held) {
    sets.push('held = if_not_exists(held, :noneHeld) + :held');
    values[':held'] = request.held;
    values[':noneHeld'] = 0;
  }
  if (request.renewedPeriod) {
    sets.push('renewedPeriod = :period');
    values[':period'] = request.renewedPeriod;
  }
  return {
    TableName: tableName(),
    Key: keys.account(request.accountId),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

function txnWrite(write: TxnItemWrite): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
  if ('put' in write) {
    return {
      Put: {
        TableName: tableName(),
        Item: { ...txnKey(write.put), entity: 'txn', ...write.put },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }
  const { accountId, txnId, spread, from, set, resumableAfter, seen } = write.transition;
  const entries = Object.entries(set).filter(([, value]) => value !== undefined);
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':from': from };
  for (const [name] of entries) names[`#${name}`] = name;
  for (const [name, value] of entries) values[`:${name}`] = value;
  let condition = '#status = :from';
  if (resumableAfter) {
    condition += ' AND resumableUntil > :now';
    values[':now'] = resumableAfter;
  }
  if (seen) {
    condition += ' AND updatedAt = :seen';
    values[':seen'] = seen;
  }
  return {
    Update: {
      TableName: tableName(),
      Key: txnKey({ accountId, id: txnId, spread }),
      UpdateExpression: `SET ${entries.map(([name]) => `#${name} = :${name}`).join(', ')}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** Full jitter, 5–320 ms: transaction conflicts on one hot account clear within a few tries. */
function backoff(attempt: number): Promise<void> {
  const cap = Math.min(320, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
