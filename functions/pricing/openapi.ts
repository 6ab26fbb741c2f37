import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { FeatureApi } from '../http/openapi.ts';
import { parsePriceBookJson, priceBookSchemas } from './price-book.ts';

/**
 * The price book the document is generated with: this repository's `tollgate.prices.json` (the
 * demo app's). Operation names and plan ids are the operator's; an operator who changes the price
 * book runs `npm run openapi` to give clients a document with their own names.
 */
export const documentedPriceBook = parsePriceBookJson(readFileSync(new URL('../../tollgate.prices.json', import.meta.url), 'utf8'), 'tollgate.prices.json');

const namesOf = (values: string[]) => values as [string, ...string[]];
const { money, plan, topUpPack } = priceBookSchemas();

export const OperationName = z.enum(namesOf(Object.keys(documentedPriceBook.operations))).meta({
  description:
    'An operation of the price book. These are the operations of the price book this document was generated with (the demo app’s `tollgate.prices.json`): a deployment with its own price book has its own names, and its operator generates its document with `npm run openapi` after changing `tollgate.prices.json`. The code accepts any lower-case name (`^[a-z][a-z0-9_-]{0,62}$`) and answers an unknown one with 400.',
});

export const PlanId = z.enum(namesOf(documentedPriceBook.plans.map((p) => p.id))).meta({
  description: 'A plan of the price book (as for OperationName, the operator’s own; these are the demo app’s).',
});

// The price book's own schemas (zod/mini, as every metered function parses it), with the document's words.
export const Money = { schema: money, meta: { description: 'An amount: a decimal string in the currency’s major unit, and an ISO 4217 code.' } };

export const Plan = plan.check(
  z.meta({ description: 'A plan: its monthly grant, whether unused credits carry over (capped at one month’s grant), its price.' }),
);

export const Prices = z
  .object({ operations: z.array(z.object({ operation: OperationName, credits: z.int().min(1) })), topUps: z.array(topUpPack), plans: z.array(plan) })
  .meta({
    examples: [
      {
        operations: [
          { operation: 'search', credits: 1 },
          { operation: 'report', credits: 10 },
          { operation: 'export', credits: 25 },
        ],
        topUps: [
          { id: 'pack_100', credits: 100, price: { amount: '5.00', currency: 'USD' } },
          { id: 'pack_500', credits: 500, price: { amount: '20.00', currency: 'USD' } },
          { id: 'pack_2000', credits: 2000, price: { amount: '70.00', currency: 'USD' } },
          { id: 'pack_10000', credits: 10000, price: { amount: '300.00', currency: 'USD' } },
        ],
        plans: [
          { id: 'free', name: 'Free', monthlyCredits: 100, rollover: false, price: { amount: '0.00', currency: 'USD' } },
          { id: 'starter', name: 'Starter', monthlyCredits: 1000, rollover: true, price: { amount: '29.00', currency: 'USD' } },
          { id: 'growth', name: 'Growth', monthlyCredits: 5000, rollover: true, price: { amount: '99.00', currency: 'USD' } },
          { id: 'burst', name: 'Burst', monthlyCredits: 3000, rollover: false, price: { amount: '49.00', currency: 'USD' } },
        ],
      },
    ],
  });

export const pricingApi: FeatureApi = {
  responses: { OperationName, PlanId, Money, TopUpPack: topUpPack, Plan, Prices },
};
