import { accountCopy } from '../copy/account-copy.ts';
import { renewForInvoice } from '../plans/renew.ts';
import { countMetric } from '../shared/metrics.ts';
import { type EventOutcome, ignored, type PaymentDeps } from './outcome.ts';
import { endSubscription, setSubscription } from './payment-store.ts';
import { afterPayment, knownAccount } from './purchases.ts';
import { type InvoiceData, metadataOf } from './stripe-events.ts';

/**
 * `invoice.paid` for a plan subscription: the account is on the plan, and the invoice grants the
 * plan's credits for its period with the monthly renewal's rollover rules — once per invoice.
 * The subscription's metadata (set at checkout) names the account, the plan and the parked query.
 */
export async function grantInvoice(invoice: InvoiceData, deps: PaymentDeps): Promise<EventOutcome> {
  const details = invoice.subscriptionDetails;
  if (!details) return ignored(`invoice ${invoice.id} is not for a subscription`);
  const meta = metadataOf(details);
  const account = await knownAccount(meta.accountId);
  if (!account) return ignored(`unknown account "${meta.accountId ?? ''}"`);
  const plan = deps.pricing.plans.find((p) => p.id === meta.plan);
  if (!plan) return ignored(`unknown plan "${meta.plan ?? ''}"`);
  const subscriptionId = typeof details.subscription === 'string' ? details.subscription : (details.subscription?.id ?? invoice.id);
  const now = deps.clock.now();
  await setSubscription(account.id, { id: subscriptionId, plan: plan.id }, now);
  const outcome = await renewForInvoice(account.id, deps.pricing, now, invoice.id);
  if (outcome === 'renewed') countMetric('planGrants');
  const purchase = (await accountCopy(account)).t('email.receipt.plan', { plan: plan.name, credits: plan.monthlyCredits, price: plan.price });
  await afterPayment(account, `grant_${invoice.id}`, purchase, meta.queryId, deps);
  return outcome === 'renewed'
    ? { result: 'applied', detail: `granted ${plan.id} for invoice ${invoice.id}` }
    : { result: 'duplicate', detail: `invoice ${invoice.id} was granted before` };
}

/** `customer.subscription.deleted`: back to the default plan; this period's credits stay, the next period is the default plan's. */
export async function cancelSubscription(subscription: { id: string; metadata: Record<string, string> }, deps: PaymentDeps): Promise<EventOutcome> {
  const account = await knownAccount(metadataOf(subscription).accountId);
  if (!account) return ignored(`unknown account "${metadataOf(subscription).accountId ?? ''}"`);
  const ended = await endSubscription(account.id, subscription.id, deps.pricing.defaultPlan, deps.clock.now());
  return ended
    ? { result: 'applied', detail: `subscription ${subscription.id} ended; plan ${deps.pricing.defaultPlan} from the next period` }
    : { result: 'duplicate', detail: `subscription ${subscription.id} is not the account's current one` };
}
