import { z } from 'zod';
import type { FeatureApi } from '../http/openapi.ts';

export const OperationName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/)
  .meta({ description: 'A lower-case operation name such as `search`.' });

export const Money = z.object({
  amount: z
    .string()
    .regex(/^[0-9]+\.[0-9]{2}$/)
    .meta({ description: 'Decimal, in the currency’s major unit.' }),
  currency: z.string().meta({ examples: ['USD'] }),
});

export const TopUpPack = z.object({ id: z.string(), credits: z.int().min(1), price: Money });

export const Plan = z.object({
  id: z.string(),
  name: z.string(),
  monthlyCredits: z.int().min(0),
  rollover: z.boolean().meta({ description: 'Unused credits carry over to the next month (capped at one month’s grant).' }),
  price: Money,
  stripePriceId: z.string().meta({ description: 'The payment provider’s price of this plan’s subscription, when the price book gives one.' }).optional(),
});

export const Prices = z
  .object({ operations: z.array(z.object({ operation: z.string(), credits: z.int().min(1) })), topUps: z.array(TopUpPack), plans: z.array(Plan) })
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
  responses: { OperationName, Money, TopUpPack, Plan, Prices },
};
