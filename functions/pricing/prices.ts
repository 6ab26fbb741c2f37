import type { Plan, PricingCatalog, TopUpPack } from './catalog.ts';

export function priceOf(catalog: PricingCatalog, operation: string): number | undefined {
  return Object.hasOwn(catalog.operations, operation) ? catalog.operations[operation] : undefined;
}

export function isKnownPlan(catalog: PricingCatalog, planId: string): boolean {
  return catalog.plans.some((plan) => plan.id === planId);
}

/** Top-up packs that cover the shortfall, smallest first; the largest pack when none does. */
export function packsCovering(catalog: PricingCatalog, shortfall: number): TopUpPack[] {
  const bySize = [...catalog.topUps].sort((a, b) => a.credits - b.credits);
  const covering = bySize.filter((pack) => pack.credits >= shortfall);
  return covering.length > 0 ? covering : bySize.slice(-1);
}

export function rolloverPlans(catalog: PricingCatalog): Plan[] {
  return catalog.plans.filter((plan) => plan.rollover).sort((a, b) => a.monthlyCredits - b.monthlyCredits);
}

/** The `GET /v1/prices` document. */
export function priceList(catalog: PricingCatalog) {
  return {
    operations: Object.entries(catalog.operations).map(([operation, credits]) => ({ operation, credits })),
    topUps: catalog.topUps,
    plans: catalog.plans,
  };
}
