/**
 * The one pricing definition: what each operation costs in credits, the top-up packs for sale
 * and the plans. The API (`GET /v1/prices`), the 402 answer and the CDK config all read it.
 * Credits are integers; money amounts are decimal strings in the currency's major unit.
 */
export interface Money {
  amount: string;
  currency: string;
}

export interface TopUpPack {
  id: string;
  credits: number;
  price: Money;
}

export interface Plan {
  id: string;
  name: string;
  monthlyCredits: number;
  /** Unused grant carries over to the next month, capped at one month's grant. */
  rollover: boolean;
  price: Money;
  /** Stripe price (`price_…`) a subscription to this plan uses. @default a monthly price made from `price` at checkout */
  stripePriceId?: string;
}

export interface PricingCatalog {
  /** Operation name → price in credits. */
  operations: Record<string, number>;
  topUps: TopUpPack[];
  plans: Plan[];
  defaultPlan: string;
}

const usd = (amount: string): Money => ({ amount, currency: 'USD' });

export const pricing: PricingCatalog = {
  operations: {
    search: 1,
    report: 10,
    export: 25,
  },
  topUps: [
    { id: 'pack_100', credits: 100, price: usd('5.00') },
    { id: 'pack_500', credits: 500, price: usd('20.00') },
    { id: 'pack_2000', credits: 2000, price: usd('70.00') },
    { id: 'pack_10000', credits: 10000, price: usd('300.00') },
  ],
  plans: [
    { id: 'free', name: 'Free', monthlyCredits: 100, rollover: false, price: usd('0.00') },
    { id: 'starter', name: 'Starter', monthlyCredits: 1000, rollover: true, price: usd('29.00') },
    { id: 'growth', name: 'Growth', monthlyCredits: 5000, rollover: true, price: usd('99.00') },
    { id: 'burst', name: 'Burst', monthlyCredits: 3000, rollover: false, price: usd('49.00') },
  ],
  defaultPlan: 'free',
};
