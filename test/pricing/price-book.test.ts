import { describe, expect, it } from 'vitest';
import { type PriceBook, PriceBookError, parsePriceBook, parsePriceBookJson } from '../../functions/pricing/price-book.ts';
import { pricing } from '../support/prices.ts';

const book: PriceBook = {
  operations: { search: 1, 'deep-report_2': 10 },
  topUps: [
    { id: 'pack_100', credits: 100, price: { amount: '5.00', currency: 'USD' } },
    { id: 'pack_500', credits: 500, price: { amount: '20', currency: 'USD' } },
  ],
  plans: [
    { id: 'free', name: 'Free', monthlyCredits: 0, rollover: false, price: { amount: '0.00', currency: 'USD' } },
    { id: 'pro', name: 'Pro', monthlyCredits: 1000, rollover: true, price: { amount: '29.999', currency: 'BHD' }, stripePriceId: 'price_1Q' },
  ],
  defaultPlan: 'free',
};

/** The problems of an invalid price book, one per bad field. */
function problemsOf(input: unknown): string[] {
  try {
    parsePriceBook(input, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(PriceBookError);
    return (error as PriceBookError).problems;
  }
  throw new Error('expected the price book to be refused');
}

describe('parsePriceBook', () => {
  it('accepts a valid price book as it is', () => {
    expect(parsePriceBook(book, 'test')).toEqual(book);
    expect(parsePriceBook(pricing, 'test')).toEqual(pricing);
  });

  it.each([
    ['a credit count of zero', { topUps: [book.topUps[0], { ...book.topUps[1], credits: 0 }] }, 'priceBook.topUps[1].credits: must be a positive integer'],
    ['fractional credits', { operations: { search: 1.5 } }, 'priceBook.operations.search: must be a positive integer'],
    ['an upper-case operation', { operations: { Search: 1 } }, 'operation names must be lower case'],
    ['a duplicate pack id', { topUps: [book.topUps[0], { ...book.topUps[1], id: 'pack_100' }] }, 'priceBook.topUps[1].id: duplicate id "pack_100"'],
    ['a duplicate plan id', { plans: [book.plans[0], { ...book.plans[1], id: 'free' }] }, 'priceBook.plans[1].id: duplicate id "free"'],
    ['an unknown default plan', { defaultPlan: 'gold' }, 'priceBook.defaultPlan: unknown plan "gold" (plans: free, pro)'],
    [
      'a currency name',
      { plans: [{ ...book.plans[0], price: { amount: '0', currency: 'usd' } }] },
      'priceBook.plans[0].price.currency: must be an ISO 4217 currency code',
    ],
    [
      'a number as amount',
      { topUps: [{ ...book.topUps[0], price: { amount: 5, currency: 'USD' } }] },
      'priceBook.topUps[0].price.amount: must be a decimal string',
    ],
    [
      'a comma in the amount',
      { topUps: [{ ...book.topUps[0], price: { amount: '5,00', currency: 'USD' } }] },
      'priceBook.topUps[0].price.amount: must be a decimal string',
    ],
    [
      'a negative amount',
      { topUps: [{ ...book.topUps[0], price: { amount: '-5', currency: 'USD' } }] },
      'priceBook.topUps[0].price.amount: must be a decimal string',
    ],
    ['negative monthly credits', { plans: [{ ...book.plans[0], monthlyCredits: -1 }] }, 'priceBook.plans[0].monthlyCredits: must be a whole number ≥ 0'],
    ['rollover as a string', { plans: [{ ...book.plans[0], rollover: 'yes' }] }, 'priceBook.plans[0].rollover: must be true or false'],
    ['an empty stripePriceId', { plans: [{ ...book.plans[0], stripePriceId: '' }] }, 'priceBook.plans[0].stripePriceId: must not be empty'],
    ['no plans', { plans: [] }, 'priceBook.plans: must hold at least one plan'],
    ['a misspelt field', { topUp: [] }, 'priceBook: unknown field(s) topUp'],
    ['a misspelt pack field', { topUps: [{ ...book.topUps[0], credit: 1 }] }, 'priceBook.topUps[0]: unknown field(s) credit'],
    ['a missing field', { defaultPlan: undefined }, 'priceBook.defaultPlan: must be the id of one of the plans'],
  ])('refuses %s, naming the field', (_, change, problem) => {
    expect(problemsOf({ ...book, ...change }).join('\n')).toContain(problem);
  });

  it('lists every problem at once, and names the source', () => {
    const bad = { ...book, operations: { search: 0 }, defaultPlan: 'gold' };
    expect(problemsOf(bad)).toHaveLength(2);
    expect(() => parsePriceBook(bad, 'tollgate.prices.json')).toThrow(/^Invalid price book \(tollgate\.prices\.json\):\n {2}- priceBook\.operations\.search/);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parsePriceBookJson('{"operations":', 'TOLLGATE_PRICE_BOOK')).toThrow(
      /Invalid price book \(TOLLGATE_PRICE_BOOK\):\n {2}- priceBook: not valid JSON/,
    );
  });
});
