import { z } from 'zod';
import { Held } from '../accounts/openapi.ts';
import { localeSchema } from '../copy/locales-schema.ts';
import { type FeatureApi, Problem } from '../http/openapi.ts';
import { priceBookSchemas } from '../pricing/price-book.ts';
import { ReminderDelay } from '../reminders/openapi.ts';
import { OperationUsage } from '../usage/openapi.ts';
import { RECOVERY_HOURS, WINDOW_DAYS } from './social-proof.ts';

export const BalanceShortfall = z.object({
  available: z.int().min(0),
  held: Held,
  required: z.int().min(1).meta({ description: 'The price of the refused request.' }),
  shortfall: z.int().min(1).meta({ description: '`required - available`.' }),
  unit: z.literal('credits'),
  asOf: z.iso.datetime(),
});

export const ParkedQuery = z.object({
  id: z.string(),
  status: z.literal('parked'),
  expiresAt: z.iso.datetime().meta({ description: 'Until then, `POST /v1/queries/{queryId}/resume` runs it.' }),
});

export const UsageDigest = z
  .object({ from: z.iso.datetime(), to: z.iso.datetime(), total: z.int(), topOperations: z.array(OperationUsage).max(3) })
  .meta({ description: 'Where the credits went in the last 30 days: the net total and the (at most three) biggest operations.' });

const { plan, topUpPack } = priceBookSchemas();

export const TopUpOption = z.intersection(topUpPack, z.object({ href: z.url().meta({ description: 'Where to buy this pack: its signed checkout link.' }) }));

export const PlanOption = z.intersection(plan, z.object({ href: z.url().meta({ description: 'Where to take this plan: its signed checkout link.' }) }));

const PAGE_HREF = 'The same action as a page for people: a signed, expiring link that needs no key (on `view_usage`: the usage page, `GET /usage?token=…`).';

/** What every action has: what to show, and the request that performs it. */
const action = <Id extends string, Method extends 'GET' | 'POST'>(id: Id, method: Method, description: string) =>
  z
    .object({ id: z.literal(id), label: z.string(), method: z.literal(method), href: z.url(), pageHref: z.url().meta({ description: PAGE_HREF }).optional() })
    .meta({ description });

/**
 * One way forward, told apart by `id`: each kind says which request it is (`method`, `href`) and,
 * where it has one, exactly which body to send or which options to offer.
 */
export const RecoveryAction = z
  .discriminatedUnion('id', [
    action('view_usage', 'GET', '`view_usage`, always: where the credits went (`GET /v1/usage`).'),
    action('top_up', 'GET', '`top_up`, always: the packs that cover the shortfall, smallest first, or the largest pack when none does.').extend({
      options: z.array(TopUpOption),
    }),
    action('change_plan', 'GET', '`change_plan`, when there are plans with rollover: those plans.').extend({ options: z.array(PlanOption) }),
    action('remind_later', 'POST', '`remind_later`, always: `POST /v1/reminders` with `body`.').extend({
      body: z.object({ after: ReminderDelay }).meta({ description: 'The body to send with `method`: a ReminderRequest (`{"after":"P1D"}`).' }),
    }),
    action('resume', 'POST', '`resume`, when a query was parked: `POST /v1/queries/{queryId}/resume`, no body.'),
  ])
  .meta({ description: 'A way forward from the 402; `id` tells the kind.' });

export const SocialProof = z
  .strictObject({
    plan: z.string(),
    percent: z.int().min(0).max(100),
    sample: z.int().min(1),
    recoveryHours: z.literal(RECOVERY_HOURS),
    windowDays: z.literal(WINDOW_DAYS),
    message: z
      .string()
      .meta({ examples: ['73% of customers on the Starter plan who ran out topped up within 48 hours and kept working (41 cases in the last 30 days).'] }),
  })
  .meta({
    description:
      'How customers on the same plan fared after running out: the share of depletion episodes (first refused query → next top-up) that ended in a top-up within `recoveryHours`, over the last `windowDays`. Computed from real episodes and present only when the plan has at least SOCIAL_PROOF_MIN_SAMPLE (default 30) episodes whose outcome is known; otherwise the member is absent.',
  });

/**
 * The 402 body, whole (not an `allOf` over Problem): its `type`, `status` and `error` are constants,
 * so a client narrows on the status code or on any of them to this one schema.
 */
export const InsufficientCredits = Problem.extend({
  type: z.literal('https://tollgate.dev/problems/insufficient-credits'),
  status: z.literal(402),
  error: z.literal('InsufficientBalance'),
  message: z.string().meta({ description: 'The same text as `detail`.' }),
  retryable: z.literal(false),
  balance: BalanceShortfall,
  query: ParkedQuery.optional(),
  usage: UsageDigest.optional().meta({
    description:
      'Where the credits went in the last 30 days. Absent only when the ledger could not be read in time (DynamoDB throttling or unreachable): the 402 is answered without it rather than held back or turned into a 503; `view_usage` still links to it.',
  }),
  actions: z.array(RecoveryAction),
  socialProof: SocialProof.optional(),
}).meta({
  description:
    'The 402 recovery answer: nothing was charged; how short the balance is, where the credits went in the last 30 days, and every way forward. Queries are parked (resumable for at least 48 h) and `query` names them; admin debits are not parked and have no `query`. `error` and `message` keep clients written for the old `{"error","message"}` answer working. `retryable` is false and there is no `Retry-After`: retrying will not help until the balance changes.',
});

/** The members the code adds to the standard problem members (RFC 9457 extensions). */
export type InsufficientCreditsExtensions = Omit<z.output<typeof InsufficientCredits>, keyof z.output<typeof Problem>>;
export type RecoveryAction = z.output<typeof RecoveryAction>;
export type SocialProofView = z.output<typeof SocialProof>;

export const recoveryApi: FeatureApi = {
  responses: { BalanceShortfall, ParkedQuery, UsageDigest, TopUpOption, PlanOption, RecoveryAction, SocialProof, InsufficientCredits },
  components: {
    responses: {
      InsufficientCredits: {
        description: 'The balance does not cover the price. Nothing was charged. See InsufficientCredits.',
        headers: {
          'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
          'Content-Language': {
            description: 'The locale the problem is written in: the best match of `Accept-Language`, else the account’s locale, else `en`.',
            schema: localeSchema,
          },
        },
        content: {
          'application/problem+json': {
            schema: InsufficientCredits,
            examples: {
              parkedQuery: {
                summary: 'A report refused and parked',
                value: {
                  type: 'https://tollgate.dev/problems/insufficient-credits',
                  title: "Looks like you're out of credits — were you expecting more?",
                  status: 402,
                  detail:
                    "This report needs 10 credits and you have 3 credits left, so it's 7 credits short. Credits often go faster than expected — before adding more, you can see exactly where they went. We've kept your query, so nothing is lost: resume it once your balance covers it.",
                  instance: '/v1/queries/q_Zk3mP0aQ7vYtR2nX',
                  error: 'InsufficientBalance',
                  message:
                    "This report needs 10 credits and you have 3 credits left, so it's 7 credits short. Credits often go faster than expected — before adding more, you can see exactly where they went. We've kept your query, so nothing is lost: resume it once your balance covers it.",
                  retryable: false,
                  balance: { available: 3, held: 0, required: 10, shortfall: 7, unit: 'credits', asOf: '2025-06-01T12:00:00.000Z' },
                  query: { id: 'q_Zk3mP0aQ7vYtR2nX', status: 'parked', expiresAt: '2025-06-03T12:00:00.000Z' },
                  usage: {
                    from: '2025-05-02T12:00:00.000Z',
                    to: '2025-06-01T12:00:00.000Z',
                    total: 297,
                    topOperations: [
                      { operation: 'report', count: 21, credits: 210 },
                      { operation: 'search', count: 62, credits: 62 },
                      { operation: 'export', count: 1, credits: 25 },
                    ],
                  },
                  actions: [
                    {
                      id: 'view_usage',
                      label: 'See where your credits went',
                      method: 'GET',
                      href: 'https://api.example.com/v1/usage',
                      pageHref:
                        'https://api.example.com/usage?token=eyJwdXJwb3NlIjoidXNhZ2UiLCJhY2NvdW50SWQiOiJhY2NfN2ZRMmtMOXhSNG1QMXZUYyIsImV4cCI6MTc0OTM4MDQwMH0.Xq3b9Rk2VwM0cZL8n1sYpT4dHf6gJ5aE7uBiOoKlNmQ',
                    },
                    {
                      id: 'top_up',
                      label: 'Add credits (you need 7 credits more)',
                      method: 'GET',
                      href: 'https://api.example.com/v1/prices',
                      options: [
                        { id: 'pack_100', credits: 100, price: { amount: '5.00', currency: 'USD' }, href: 'https://api.example.com/checkout?token=…' },
                        { id: 'pack_500', credits: 500, price: { amount: '20.00', currency: 'USD' }, href: 'https://api.example.com/checkout?token=…' },
                        { id: 'pack_2000', credits: 2000, price: { amount: '70.00', currency: 'USD' }, href: 'https://api.example.com/checkout?token=…' },
                        { id: 'pack_10000', credits: 10000, price: { amount: '300.00', currency: 'USD' }, href: 'https://api.example.com/checkout?token=…' },
                      ],
                    },
                    {
                      id: 'change_plan',
                      label: 'Switch to a plan whose unused credits roll over',
                      method: 'GET',
                      href: 'https://api.example.com/v1/prices',
                      options: [
                        {
                          id: 'starter',
                          name: 'Starter',
                          monthlyCredits: 1000,
                          rollover: true,
                          price: { amount: '29.00', currency: 'USD' },
                          href: 'https://api.example.com/checkout?token=…',
                        },
                        {
                          id: 'growth',
                          name: 'Growth',
                          monthlyCredits: 5000,
                          rollover: true,
                          price: { amount: '99.00', currency: 'USD' },
                          href: 'https://api.example.com/checkout?token=…',
                        },
                      ],
                    },
                    { id: 'remind_later', label: 'Remind me later', method: 'POST', href: 'https://api.example.com/v1/reminders', body: { after: 'P1D' } },
                    {
                      id: 'resume',
                      label: 'Run this query once your balance covers it',
                      method: 'POST',
                      href: 'https://api.example.com/v1/queries/q_Zk3mP0aQ7vYtR2nX/resume',
                    },
                  ],
                },
              },
            },
          },
        },
      },
    },
  },
};
