import Stripe from 'stripe';
import { minorUnits } from './money.ts';
import { type CheckoutOrder, type CheckoutSession, orderMetadata, type PaymentProvider } from './provider.ts';

/**
 * The Checkout Session for an order. Packs are one-off payments priced from the price book
 * (`price_data`); plans are subscriptions at the plan's Stripe price when configured, else at the
 * price book's monthly price. The account travels as `client_reference_id` and, with the item
 * and the parked query, as metadata — on the subscription too, so its invoices name the account.
 */
export function checkoutSessionParams(order: CheckoutOrder): Stripe.Checkout.SessionCreateParams {
  const metadata = orderMetadata(order);
  const common = {
    client_reference_id: order.accountId,
    customer_email: order.customerEmail,
    success_url: order.successUrl,
    cancel_url: order.cancelUrl,
    metadata,
  };
  const { item } = order;
  if (item.kind === 'pack') {
    const { pack } = item;
    return {
      ...common,
      mode: 'payment',
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: pack.price.currency.toLowerCase(),
            unit_amount: minorUnits(pack.price),
            product_data: { name: `${pack.credits.toLocaleString('en-US')} credits` },
          },
        },
      ],
      // Refunds arrive as charge events: the payment intent carries the account and pack too.
      payment_intent_data: { metadata },
    };
  }
  const { plan } = item;
  const price: Stripe.Checkout.SessionCreateParams.LineItem = plan.stripePriceId
    ? { quantity: 1, price: plan.stripePriceId }
    : {
        quantity: 1,
        price_data: {
          currency: plan.price.currency.toLowerCase(),
          unit_amount: minorUnits(plan.price),
          recurring: { interval: 'month' },
          product_data: { name: `${plan.name} plan` },
        },
      };
  return { ...common, mode: 'subscription', line_items: [price], subscription_data: { metadata } };
}

/** Where the Stripe SDK sends its API calls; only tests change it (a local stand-in for Stripe's API). */
export interface StripeEndpoint {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

/** The Stripe adapter: Checkout Sessions through the official SDK. */
export function stripeProvider(apiKey: string, endpoint?: StripeEndpoint): PaymentProvider {
  const stripe = new Stripe(apiKey, { maxNetworkRetries: 2, timeout: 10_000, ...endpoint });
  return {
    name: 'stripe',
    async createCheckout(order: CheckoutOrder): Promise<CheckoutSession> {
      const session = await stripe.checkout.sessions.create(checkoutSessionParams(order));
      if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL.`);
      return { id: session.id, url: session.url };
    },
  };
}
