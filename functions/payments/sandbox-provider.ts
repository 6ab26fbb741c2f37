import type { CheckoutOrder, CheckoutSession, PaymentProvider } from './provider.ts';
import { checkoutSessionParams } from './stripe-provider.ts';

/**
 * Local only (`npm start`, tests): stands in for Stripe's hosted checkout page. It is given the
 * same session parameters the Stripe adapter would send, shows the order, and on "Pay" delivers a
 * Stripe-signed `checkout.session.completed` to the real webhook route (`local/checkout-sandbox.ts`).
 */
export function sandboxProvider(sandboxUrl: string): PaymentProvider {
  return {
    name: 'sandbox',
    async createCheckout(order: CheckoutOrder): Promise<CheckoutSession> {
      const response = await fetch(new URL('/v1/checkout/sessions', sandboxUrl), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(checkoutSessionParams(order)),
      });
      if (!response.ok) throw new Error(`The checkout sandbox answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as CheckoutSession;
    },
  };
}
