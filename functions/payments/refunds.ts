import { findAccount } from '../accounts/store.ts';
import { changeBalance } from '../metering/balance-store.ts';
import { changeFor, type TxnItem } from '../metering/txn.ts';
import { addHours, epochSeconds } from '../shared/clock.ts';
import { derivedId } from '../shared/ids.ts';
import { countMetric } from '../shared/metrics.ts';
import { type EventOutcome, ignored, type PaymentDeps } from './outcome.ts';
import { findPayment, markRefunded } from './payment-store.ts';
import { refundedCredits, reversalSplit } from './refund-credits.ts';

const MAX_ATTEMPTS = 5;
const REVERSAL_RECORD_HOURS = 24 * 400;

/**
 * `charge.refunded`: takes back the credits the refunded money bought, as a `reversal` ledger
 * entry, never below zero; what was already spent is added to the account's
 * `unrecoveredCredits` for the operator. The charge reports its running refunded total, so each
 * step of it is reversed once (keyed by charge and total), and an older total arriving late
 * changes nothing. Known limit: two different totals of one charge processed at the same moment
 * (Stripe sends refund events seconds apart) could both reverse from the same starting point.
 */
export async function reverseRefund(
  charge: { id: string; amount: number; amount_refunded: number; payment_intent?: string | null },
  deps: PaymentDeps,
): Promise<EventOutcome> {
  if (!charge.payment_intent) return ignored(`charge ${charge.id} has no payment intent`);
  const ref = `stripe:${charge.payment_intent}`;
  const payment = await findPayment(ref);
  if (!payment) return ignored(`charge ${charge.id} pays for no checkout Tollgate credited`);
  if (charge.amount_refunded <= payment.refundedAmount)
    return { result: 'duplicate', detail: `refunds of ${charge.id} up to ${charge.amount_refunded} were reversed before` };
  const paid = payment.amount || charge.amount;
  const toReverse = refundedCredits(payment.credits, paid, charge.amount_refunded) - refundedCredits(payment.credits, paid, payment.refundedAmount);
  const now = deps.clock.now();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const account = await findAccount(payment.accountId);
    if (!account) return ignored(`account "${payment.accountId}" no longer exists`);
    const { reversed, unrecovered } = reversalSplit(toReverse, account.balance);
    const txn: TxnItem = {
      id: derivedId('rv', payment.accountId, `${charge.id}:${charge.amount_refunded}`),
      kind: 'reversal',
      accountId: payment.accountId,
      status: 'completed',
      requestHash: `${charge.id}:${charge.amount_refunded}`,
      credits: reversed,
      reference: `refund of charge ${charge.id} (${payment.txnId})`,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAtEpoch: epochSeconds(addHours(now, REVERSAL_RECORD_HOURS)),
    };
    const outcome = await changeBalance({ accountId: payment.accountId, change: changeFor(txn, now), txn: { put: txn }, unrecovered });
    // Spent meanwhile: recompute the split from the new balance.
    if (outcome.kind === 'insufficient') continue;
    if (outcome.kind === 'account-missing') return ignored(`account "${payment.accountId}" no longer exists`);
    await markRefunded(ref, charge.amount_refunded);
    if (outcome.kind === 'txn-conflict') return { result: 'duplicate', detail: `refund of ${charge.id} up to ${charge.amount_refunded} was reversed before` };
    countMetric('reversals');
    return { result: 'applied', detail: `reversed ${reversed} credits, ${unrecovered} already spent` };
  }
  throw new Error(`Reversing the refund of ${charge.id} kept racing with other balance changes`);
}
