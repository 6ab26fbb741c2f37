import type { AccountItem, BalanceChange } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { type BalanceChangeOutcome, changeBalance } from '../metering/balance-store.ts';
import { newTxn, replayOf } from '../metering/charges.ts';
import type { StoredResponse, TxnItem } from '../metering/txn.ts';
import { findTxn, putUnchargedTxn } from '../metering/txn-store.ts';
import { ConflictError, GoneError, NotFoundError, UnauthorizedError } from '../shared/errors.ts';
import { countMetric } from '../shared/metrics.ts';

/**
 * Holds: credits reserved for work whose price is known only when it is done. A hold moves the
 * estimate from the available balance into `held` (never below zero, in one transaction with the
 * hold's record); settling moves it back less the actual price, releasing moves it all back.
 * Each of those is a transition of the hold's record out of `held`, in the same transaction as
 * the balance change, so a hold is settled or released exactly once however requests, retries
 * and the expiry sweep race.
 */

/** What a settle may take when the work cost more than its hold. */
export type OveragePolicy = 'cap' | 'allow';

export interface HoldRequest {
  accountId: string;
  /** The caller's API key: the hold only applies while it is active. Absent for `meter({ account })`. */
  keyId?: string;
  holdId: string;
  operation: string;
  credits: number;
  expiresAt: Date;
  requestHash: string;
  now: Date;
}

export type HoldStart =
  | { kind: 'held'; txn: TxnItem }
  | { kind: 'replay'; response: StoredResponse }
  /** The estimate is more than the available balance: nothing held. */
  | { kind: 'insufficient'; account: AccountItem; txn: TxnItem };

const change = (hold: Pick<TxnItem, 'id' | 'operation'>, suffix: string, type: BalanceChange['type'], credits: number, now: Date): BalanceChange => ({
  id: `${hold.id}${suffix}`,
  type,
  credits,
  operation: hold.operation,
  at: now.toISOString(),
});

/** Reserves the estimate, or explains why not. A retry with the same id replays the first answer. */
export async function placeHold(request: HoldRequest): Promise<HoldStart> {
  const txn: TxnItem = {
    ...newTxn({ ...request, kind: 'debit', txnId: request.holdId }),
    kind: 'hold',
    status: 'held',
    holdExpiresAt: request.expiresAt.toISOString(),
  };
  const outcome = await changeBalance({
    accountId: request.accountId,
    activeKeyId: request.keyId,
    change: change(txn, '', 'hold', -txn.credits, request.now),
    held: txn.credits,
    txn: { put: txn },
  });
  switch (outcome.kind) {
    case 'applied':
      countMetric('holds');
      return { kind: 'held', txn };
    case 'txn-conflict':
      return replayOf(request.requestHash, outcome.existing);
    case 'insufficient': {
      const refused: TxnItem = { ...txn, status: 'refused', holdExpiresAt: undefined };
      const existing = await putUnchargedTxn(refused);
      if (existing) return replayOf(request.requestHash, existing);
      countMetric('insufficientCredits');
      return { kind: 'insufficient', account: outcome.account, txn: refused };
    }
    default:
      throw refusal(outcome, request);
  }
}

export interface SettleResult {
  hold: TxnItem;
  /** False when this settle found the hold already settled for the same amount (a retry). */
  applied: boolean;
}

/**
 * Takes the actual price from a hold and gives back the rest, once. Above the hold, `cap` takes
 * the hold and no more; `allow` also takes the overage from the available balance, as far as it
 * goes (never below zero). A hold past its expiry is released instead, and the caller told so.
 */
export async function settleHold(p: {
  accountId: string;
  keyId?: string;
  holdId: string;
  actual: number;
  policy: OveragePolicy;
  now: Date;
}): Promise<SettleResult> {
  for (let attempt = 1; ; attempt++) {
    const hold = await openHold(p.accountId, p.holdId);
    // The same settle again (a retry) gets the same settlement; a different amount is a conflict.
    if (hold.status === 'settled' && hold.settleRequested === p.actual) return { hold, applied: false };
    assertHeld(hold);
    if (isExpired(hold, p.now)) {
      await releaseHold({ ...p, by: 'expired' }).catch(() => undefined);
      throw new GoneError(`Hold "${hold.id}" expired at ${hold.holdExpiresAt} and its credits were released; nothing was charged.`);
    }
    const overage = p.policy === 'allow' ? Math.max(0, p.actual - hold.credits) : 0;
    const available = overage > 0 ? ((await findAccount(p.accountId))?.balance ?? 0) : 0;
    const charged = Math.min(p.actual, hold.credits) + Math.min(overage, available);
    const outcome = await changeBalance({
      accountId: p.accountId,
      activeKeyId: p.keyId,
      change: change(hold, '.settle', 'settle', hold.credits - charged, p.now),
      held: -hold.credits,
      txn: transition(hold, 'settled', { settleRequested: p.actual, settledCredits: charged }, p.now),
    });
    if (outcome.kind === 'applied') {
      countMetric('holdsSettled');
      return { hold: { ...hold, status: 'settled', settleRequested: p.actual, settledCredits: charged, updatedAt: p.now.toISOString() }, applied: true };
    }
    // The balance moved between the read and the write (an overage only): read again.
    if ((outcome.kind === 'insufficient' || outcome.kind === 'txn-conflict') && attempt < 5) continue;
    throw refusal(outcome, p);
  }
}

/** Gives a hold back whole, once: by request (a failed run, `meter()` after an error) or on expiry. */
export async function releaseHold(p: { accountId: string; keyId?: string; holdId: string; now: Date; by: 'request' | 'expired' }): Promise<SettleResult> {
  const hold = await openHold(p.accountId, p.holdId);
  if (hold.status === 'released') return { hold, applied: false };
  assertHeld(hold);
  const outcome = await changeBalance({
    accountId: p.accountId,
    activeKeyId: p.keyId,
    change: change(hold, '.release', 'release', hold.credits, p.now),
    held: -hold.credits,
    txn: transition(hold, 'released', { releasedBy: p.by }, p.now),
  });
  if (outcome.kind === 'applied') {
    countMetric(p.by === 'expired' ? 'holdsExpired' : 'holdsReleased');
    return { hold: { ...hold, status: 'released', releasedBy: p.by, updatedAt: p.now.toISOString() }, applied: true };
  }
  if (outcome.kind === 'txn-conflict') {
    // Settled or released by a racing request or the sweep in the meantime: say which.
    const settled = await openHold(p.accountId, p.holdId);
    if (settled.status === 'released') return { hold: settled, applied: false };
    assertHeld(settled);
  }
  throw refusal(outcome, p);
}

/** The hold record, or a 404 naming it. */
export async function openHold(accountId: string, holdId: string): Promise<TxnItem> {
  const hold = await findTxn(accountId, holdId);
  if (hold?.kind !== 'hold' || hold.status === 'refused') throw new NotFoundError(`There is no hold "${holdId}" on this account.`);
  return hold;
}

export const isExpired = (hold: Pick<TxnItem, 'holdExpiresAt'>, now: Date) => hold.holdExpiresAt !== undefined && hold.holdExpiresAt <= now.toISOString();

function assertHeld(hold: TxnItem): void {
  if (hold.status === 'settled') throw new ConflictError(`Hold "${hold.id}" was already settled for ${hold.settledCredits} credits.`);
  if (hold.status === 'released' && hold.releasedBy === 'expired')
    throw new GoneError(`Hold "${hold.id}" expired at ${hold.holdExpiresAt} and its credits were released; nothing was charged.`);
  if (hold.status === 'released') throw new ConflictError(`Hold "${hold.id}" was already released.`);
}

function transition(hold: TxnItem, to: 'settled' | 'released', set: Partial<TxnItem>, now: Date) {
  return { transition: { accountId: hold.accountId, txnId: hold.id, from: 'held' as const, set: { ...set, status: to, updatedAt: now.toISOString() } } };
}

function refusal(outcome: BalanceChangeOutcome, request: { accountId: string; keyId?: string }): Error {
  if (outcome.kind === 'key-inactive' || (outcome.kind === 'account-missing' && request.keyId))
    return new UnauthorizedError('This API key is unknown or has been revoked.');
  if (outcome.kind === 'account-missing') return new NotFoundError(`There is no account "${request.accountId}".`);
  return new Error(`Unexpected balance change outcome for a hold: ${outcome.kind}`);
}
