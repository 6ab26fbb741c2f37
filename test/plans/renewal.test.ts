import { describe, expect, it } from 'vitest';
import { periodOf, renewal } from '../../functions/plans/renewal.ts';
import type { Plan } from '../../functions/pricing/price-book.ts';

const usd = { amount: '1.00', currency: 'USD' };
const monthly: Plan = { id: 'm', name: 'M', monthlyCredits: 100, rollover: false, price: usd };
const rolling: Plan = { ...monthly, id: 'r', rollover: true };

describe('renewal', () => {
  it.each([
    // [balance, purchased, plan, expire, carried, purchasedAfter]
    [70, 0, monthly, 70, 0, 0],
    [70, 0, rolling, 0, 70, 0],
    [250, 0, rolling, 150, 100, 0],
    [120, 50, monthly, 70, 0, 50],
    [50, 100, monthly, 0, 0, 50],
    [0, 100, rolling, 0, 0, 0],
    [180, 100, rolling, 0, 80, 100],
  ] as const)('balance %i with %i purchased on %o', (balance, purchased, plan, expire, carried, purchasedAfter) => {
    const step = renewal({ balance, purchased }, plan);
    expect(step).toEqual({ expire, carried, grant: 100, purchasedAfter });
    // Nothing purchased is ever expired, and the balance after renewal is purchased + carried + grant.
    expect(balance - step.expire + step.grant).toBe(purchasedAfter + carried + 100);
  });

  it('periods are UTC months', () => {
    expect(periodOf(new Date('2026-12-31T23:59:59Z'))).toBe('2026-12');
    expect(periodOf(new Date('2027-01-01T00:00:00Z'))).toBe('2027-01');
  });
});
