import { config } from '../shared/config.ts';
import { stripeApiKey } from '../shared/secrets.ts';
import type { PaymentProvider } from './provider.ts';
import { sandboxProvider } from './sandbox-provider.ts';
import { stripeProvider } from './stripe-provider.ts';

let cached: { key: string; provider: PaymentProvider } | undefined;

/** The provider checkout uses: Stripe when its key is there, else the local sandbox; undefined when neither. */
export async function paymentProvider(): Promise<PaymentProvider | undefined> {
  const apiKey = await stripeApiKey();
  if (apiKey) {
    if (cached?.key !== apiKey) cached = { key: apiKey, provider: stripeProvider(apiKey) };
    return cached.provider;
  }
  const sandbox = config().CHECKOUT_SANDBOX_URL;
  return sandbox ? sandboxProvider(sandbox) : undefined;
}
