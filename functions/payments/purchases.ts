import { ACCOUNT_ID, type AccountItem } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { sendReceiptEmail } from '../alerts/notify.ts';
import { accountCopy } from '../copy/account-copy.ts';
import { creditTopUp } from '../metering/top-up.ts';
import type { TxnItem } from '../metering/txn.ts';
import { findTxn } from '../metering/txn-store.ts';
import { type ResumedQuery, resumeParked } from '../queries/auto-resume.ts';
import { config } from '../shared/config.ts';
import { derivedId } from '../shared/ids.ts';
import { countMetric } from '../shared/metrics.ts';
import { type EventOutcome, ignored, type PaymentDeps } from './outcome.ts';
import { claimReceipt, recordPayment, releaseReceipt } from './payment-store.ts';
import { type CheckoutSessionData, metadataOf } from './stripe-events.ts';

/** The top-up txn of a checkout session: the session id is the idempotency key. */
export const purchaseTxnId = (accountId: string, sessionId: string) => derivedId('tu', accountId, `checkout:${sessionId}`);

/** The account an event names (`client_reference_id`, else the metadata), if it is one of ours. */
export async function knownAccount(accountId: string | null | undefined): Promise<AccountItem | undefined> {
  return accountId && ACCOUNT_ID.test(accountId) ? findAccount(accountId) : undefined;
}

/**
 * A checkout session whose payment went through (`checkout.session.completed` paid, or
 * `checkout.session.async_payment_succeeded`): credits the pack once per session, then runs the
 * parked query once and sends one receipt. A redelivery finds the top-up and credits nothing; it
 * still finishes what a failed first delivery left undone (the query, the receipt).
 */
export async function completeCheckout(session: CheckoutSessionData, deps: PaymentDeps): Promise<EventOutcome> {
  if (session.mode !== 'payment') return { result: 'no-change', detail: 'subscription checkouts are granted by their paid invoices' };
  if (session.payment_status !== 'paid') return { result: 'no-change', detail: 'the payment has not gone through yet' };
  const meta = metadataOf(session);
  const account = await knownAccount(session.client_reference_id ?? meta.accountId);
  if (!account) return ignored(`unknown account "${session.client_reference_id ?? meta.accountId ?? ''}"`);
  const pack = deps.pricing.topUps.find((p) => p.id === meta.pack);
  if (!pack) return ignored(`unknown pack "${meta.pack ?? ''}"`);
  const txnId = purchaseTxnId(account.id, session.id);
  const now = deps.clock.now();
  if (session.payment_intent) {
    await recordPayment({
      ref: `stripe:${session.payment_intent}`,
      accountId: account.id,
      txnId,
      credits: pack.credits,
      amount: session.amount_total ?? 0,
      currency: session.currency ?? pack.price.currency.toLowerCase(),
      refundedAmount: 0,
      createdAt: now.toISOString(),
    });
  }
  const credit = await creditTopUp({
    accountId: account.id,
    txnId,
    credits: pack.credits,
    reference: `checkout ${session.id}`,
    requestHash: session.id,
    now,
  });
  if (credit.kind === 'account-missing') return ignored(`account "${account.id}" no longer exists`);
  if (credit.kind === 'over-limit') return ignored(`crediting ${pack.credits} credits would take account "${account.id}" over the balance ceiling`);
  if (credit.kind === 'credited') countMetric('topUps');
  const purchase = (await accountCopy(account)).t('email.receipt.pack', { credits: pack.credits, price: pack.price });
  await afterPayment(account, txnId, purchase, meta.queryId, deps);
  return credit.kind === 'credited'
    ? { result: 'applied', detail: `credited ${pack.id}` }
    : { result: 'duplicate', detail: `session ${session.id} was credited before` };
}

/**
 * Runs the parked query the customer paid for (exactly once: the same resume as the API) and
 * sends the receipt once. `txnId` is the txn that credited the payment; it remembers the receipt.
 * Concurrent deliveries agree on one sender: a query still running is left to the delivery
 * running it, and the receipt is claimed before it is sent (released again if the send fails,
 * so a redelivery can send it).
 */
export async function afterPayment(account: AccountItem, txnId: string, purchase: string, queryId: string | undefined, deps: PaymentDeps): Promise<void> {
  if (queryId) await resumeParked(account.id, queryId, deps.service, deps.clock);
  // No verified sender (ALERT_EMAILS=off): no receipt, as no alert emails; the payment provider sends its own.
  if (config().ALERT_EMAILS === 'off') return;
  const query = queryId ? await findTxn(account.id, queryId) : undefined;
  if (query?.kind === 'query' && query.status === 'running') return;
  if (!(await claimReceipt(account.id, txnId, deps.clock.now()))) return;
  const ran = query?.kind === 'query' && (query.status === 'completed' || query.status === 'failed') ? [queryOutcome(query)] : [];
  try {
    await sendReceiptEmail((await findAccount(account.id)) ?? account, purchase, ran, deps);
  } catch (error) {
    await releaseReceipt(account.id, txnId);
    throw error;
  }
}

/** How the query the payment was for ended (it may have run on an earlier delivery). */
function queryOutcome(query: TxnItem): ResumedQuery {
  return { operation: query.operation ?? 'query', credits: query.credits, ok: query.status === 'completed' };
}
