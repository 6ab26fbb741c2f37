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

/** The Buy link of each pack and plan of the price book, by id. */
export interface BuyLinks {
  pack(packId: string): string;
  plan(planId: string): string;
}

/**
 * The Buy links of every pack and plan. Normally each is a signed link to checkout carrying the
 * parked query (if any), so it runs once the payment is through. When no provider is configured
 * but the operator has a billing page (`BILLING_URL`), Buy goes there, naming the pack or plan.
 * With neither, checkout links are still made: the checkout page then says how to get credits.
 */
export async function buyLinks(accountId: string, pricing: PriceBook, now: Date, queryId?: string): Promise<BuyLinks> {
  const billingUrl = config().BILLING_URL;
  const link =
    !checkoutConfigured() && billingUrl
      ? async (item: { pack: string } | { plan: string }) => {
          const url = new URL(billingUrl);
          for (const [name, value] of Object.entries(item)) url.searchParams.set(name, value);
          return url.toString();
        }
      : (item: { pack: string } | { plan: string }) => signedUrl('checkout', accountId, now, { queryId, ...item });
  const packs = new Map(await Promise.all(pricing.topUps.map(async (pack) => [pack.id, await link({ pack: pack.id })] as const)));
  const plans = new Map(await Promise.all(pricing.plans.map(async (plan) => [plan.id, await link({ plan: plan.id })] as const)));
  return { pack: (id) => linkOf(packs, id), plan: (id) => linkOf(plans, id) };
}

function linkOf(links: Map<string, string>, id: string): string {
  const href = links.get(id);
  if (!href) throw new Error(`"${id}" is not in the price book the Buy links were made from.`);
  return href;
}
