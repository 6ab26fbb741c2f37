import type { Plan } from '../pricing/price-book.ts';

export interface RenewalInput {
  balance: number;
  /** Purchased credits added and not yet known to be spent. */
  purchased: number;
}

export interface Renewal {
  /** Unused plan credits that expire now. */
  expire: number;
  /** Plan credits carried into the new period (rollover plans, capped at one month's grant). */
  carried: number;
  grant: number;
  /** Purchased credits still in the balance: they never expire. */
  purchasedAfter: number;
}

/**
 * What a monthly renewal does to a balance. Debits spend plan credits before purchased ones
 * (plan credits expire, purchased never do), so the purchased part still left is
 * min(balance, purchased) and the rest is plan credit: derived here from the totals, so a
 * debit stays one write on one item. Pure.
 */
export function renewal(input: RenewalInput, plan: Plan): Renewal {
  const purchasedAfter = Math.min(input.balance, Math.max(0, input.purchased));
  const planLeft = input.balance - purchasedAfter;
  const carried = plan.rollover ? Math.min(planLeft, plan.monthlyCredits) : 0;
  return { expire: planLeft - carried, carried, grant: plan.monthlyCredits, purchasedAfter };
}

/** The plan period of a date: its UTC month, `YYYY-MM`. */
export function periodOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}
