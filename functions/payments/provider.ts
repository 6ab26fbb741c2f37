import type { Plan, TopUpPack } from '../pricing/price-book.ts';

/**
 * What a customer is buying, for one account. Providers turn it into their hosted checkout;
 * what comes back through the webhook names the same things in `metadata`.
 */
export interface CheckoutOrder {
  accountId: string;
  customerEmail?: string;
  item: { kind: 'pack'; pack: TopUpPack } | { kind: 'plan'; plan: Plan };
  /** The parked query to run once the payment has gone through. */
  queryId?: string;
  /** Where the provider sends the customer after paying; `{CHECKOUT_SESSION_ID}` is replaced by the session id. */
  successUrl: string;
  /** Where the provider sends the customer who gives up. */
  cancelUrl: string;
}

export interface CheckoutSession {
  id: string;
  /** The hosted checkout page to send the customer to. */
  url: string;
}

/** A payment provider's hosted checkout. Stripe in production; the local sandbox stands in for its page. */
export interface PaymentProvider {
  readonly name: 'stripe' | 'sandbox';
  createCheckout(order: CheckoutOrder): Promise<CheckoutSession>;
}

/** Metadata keys Tollgate sets on checkout sessions and subscriptions, and reads back from events. */
export const METADATA = {
  account: 'tollgate_account',
  pack: 'tollgate_pack',
  plan: 'tollgate_plan',
  query: 'tollgate_query',
} as const;

export function orderMetadata(order: CheckoutOrder): Record<string, string> {
  return {
    [METADATA.account]: order.accountId,
    ...(order.item.kind === 'pack' ? { [METADATA.pack]: order.item.pack.id } : { [METADATA.plan]: order.item.plan.id }),
    ...(order.queryId ? { [METADATA.query]: order.queryId } : {}),
  };
}
