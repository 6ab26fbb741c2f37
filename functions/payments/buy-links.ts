import { signedUrl } from '../alerts/links.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { config } from '../shared/config.ts';

/**
 * Whether checkout is offered, from the configuration alone (no secret read, no SDK), so every
 * place that makes Buy links decides the same way: Stripe is configured, or the local sandbox runs.
 */
export function checkoutConfigured(): boolean {
  const settings = config();
  return Boolean(settings.STRIPE_SECRET_KEY || settings.STRIPE_SECRET_KEY_ARN || settings.CHECKOUT_SANDBOX_URL);
}

/** Signed `GET /checkout` links, by pack id and by plan id. */
export interface BuyLinks {
  packs: Record<string, string>;
  plans: Record<string, string>;
}

/**
 * The Buy links of every pack and plan, each a signed link to checkout carrying the parked query
 * (if any) so it runs once the payment is through. Undefined when no provider is configured but
 * the operator has a billing page (`BILLING_URL`): Buy goes there. With neither, checkout links
 * are still made: the checkout page then tells the customer how to get credits.
 */
export async function buyLinks(accountId: string, pricing: PriceBook, now: Date, queryId?: string): Promise<BuyLinks | undefined> {
  if (!checkoutConfigured() && config().BILLING_URL) return undefined;
  const link = (item: { pack: string } | { plan: string }) => signedUrl('checkout', accountId, now, { queryId, ...item });
  const packs = await Promise.all(pricing.topUps.map(async (pack) => [pack.id, await link({ pack: pack.id })] as const));
  const plans = await Promise.all(pricing.plans.map(async (plan) => [plan.id, await link({ plan: plan.id })] as const));
  return { packs: Object.fromEntries(packs), plans: Object.fromEntries(plans) };
}
