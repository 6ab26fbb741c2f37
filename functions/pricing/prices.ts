import type { Plan, PriceBook, TopUpPack } from './price-book.ts';

export function priceOf(book: PriceBook, operation: string): number | undefined {
  return Object.hasOwn(book.operations, operation) ? book.operations[operation] : undefined;
}

export function isKnownPlan(book: PriceBook, planId: string): boolean {
  return book.plans.some((plan) => plan.id === planId);
}

/** Top-up packs that cover the shortfall, smallest first; the largest pack when none does. */
export function packsCovering(book: PriceBook, shortfall: number): TopUpPack[] {
  const bySize = [...book.topUps].sort((a, b) => a.credits - b.credits);
  const covering = bySize.filter((pack) => pack.credits >= shortfall);
  return covering.length > 0 ? covering : bySize.slice(-1);
}

export function rolloverPlans(book: PriceBook): Plan[] {
  return book.plans.filter((plan) => plan.rollover).sort((a, b) => a.monthlyCredits - b.monthlyCredits);
}

/** The `GET /v1/prices` document. */
export function priceList(book: PriceBook) {
  return {
    operations: Object.entries(book.operations).map(([operation, credits]) => ({ operation, credits })),
    topUps: book.topUps,
    plans: book.plans,
  };
}
