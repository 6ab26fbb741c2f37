import { describe, expect, it } from 'vitest';
import { en } from '../../functions/copy/catalogue/en.ts';
import { insufficientCreditsProblem, type RecoveryInput } from '../../functions/recovery/insufficient-credits.ts';
import { pricing } from '../support/prices.ts';

const base: RecoveryInput = {
  balance: { available: 3, held: 0, unit: 'credits', asOf: '2026-11-25T10:00:00.000Z' },
  required: 25,
  operation: 'export',
  query: { id: 'q_abc', resumableUntil: '2026-11-27T10:00:00.000Z' },
  usage: {
    from: '2026-10-26T10:00:00.000Z',
    to: '2026-11-25T10:00:00.000Z',
    total: 97,
    byOperation: [
      { operation: 'report', count: 8, credits: 80 },
      { operation: 'search', count: 12, credits: 12 },
      { operation: 'export', count: 1, credits: 5 },
      { operation: 'other', count: 1, credits: 0 },
    ],
    byDay: [],
  },
  pricing,
  baseUrl: 'https://api.example.com',
};

type Action = { id: string; options?: { id: string; credits?: number; rollover?: boolean; href: string }[]; href: string };
const action = (problem: ReturnType<typeof insufficientCreditsProblem>, id: string) =>
  ((problem.extensions?.actions ?? []) as Action[]).find((a) => a.id === id);

describe('insufficientCreditsProblem', () => {
  it('says how short the customer is, in the catalogue copy, for old and new clients', () => {
    const problem = insufficientCreditsProblem(base);
    expect(problem.status).toBe(402);
    expect(problem.title).toBe(en['insufficientCredits.title']);
    expect(problem.detail).toBe(
      "This export needs 25 credits and you have 3 credits left, so it's 22 credits short. Credits often go faster than expected — before adding more, you can see exactly where they went. We've kept your query, so nothing is lost: resume it once your balance covers it.",
    );
    expect(problem.extensions).toMatchObject({
      error: 'InsufficientBalance',
      message: problem.detail,
      retryable: false,
      balance: { available: 3, held: 0, required: 25, shortfall: 22, unit: 'credits', asOf: base.balance.asOf },
      query: { id: 'q_abc', status: 'parked', expiresAt: '2026-11-27T10:00:00.000Z' },
    });
    expect(problem.headers?.['Retry-After']).toBeUndefined();
  });

  it('shows the top three operations of the period', () => {
    const usage = insufficientCreditsProblem(base).extensions?.usage as { total: number; topOperations: { operation: string }[] };
    expect(usage.total).toBe(97);
    expect(usage.topOperations.map((o) => o.operation)).toEqual(['report', 'search', 'export']);
  });

  it('offers only packs that cover the shortfall, smallest first', () => {
    const packs = action(insufficientCreditsProblem({ ...base, required: 504 }), 'top_up')?.options ?? [];
    expect(packs.map((p) => p.credits)).toEqual([2000, 10000]);
  });

  it('offers the largest pack when none covers the shortfall alone', () => {
    const packs = action(insufficientCreditsProblem({ ...base, required: 50_000 }), 'top_up')?.options ?? [];
    expect(packs.map((p) => p.credits)).toEqual([10000]);
  });

  it('offers only plans with rollover, linking to the billing page when configured', () => {
    const plan = action(insufficientCreditsProblem({ ...base, billingUrl: 'https://billing.example.com/credits' }), 'change_plan');
    expect(plan?.options?.every((p) => p.rollover)).toBe(true);
    expect(plan?.options?.[0]?.href).toBe('https://billing.example.com/credits?plan=starter');
  });

  it('has no resume action and no query when nothing was parked', () => {
    const problem = insufficientCreditsProblem({ ...base, query: undefined });
    expect(action(problem, 'resume')).toBeUndefined();
    expect(problem.extensions?.query).toBeUndefined();
    expect(problem.detail).toContain('Nothing was charged.');
  });
});
