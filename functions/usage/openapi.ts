import { z } from 'zod';
import { Balance } from '../accounts/openapi.ts';
import { answers, type FeatureApi, Problem } from '../http/openapi.ts';
import { Prices } from '../pricing/openapi.ts';

export const OperationUsage = z.object({
  operation: z.string().meta({ description: '`other` for ledger entries without an operation.' }),
  count: z.int().meta({ description: 'Charged requests, less refunded ones.' }),
  credits: z.int().meta({ description: 'Credits spent, less refunds.' }),
});

export const Usage = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  total: z.int().meta({ description: 'Credits spent (debits less refunds) in [from, to).' }),
  byOperation: z.array(OperationUsage).meta({ description: 'Biggest spend first.' }),
  byDay: z.array(z.object({ date: z.iso.date(), credits: z.int() })).meta({ description: 'Per UTC day with spend, oldest first.' }),
});

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/v1/balance',
    operationId: 'getBalance',
    summary: 'Show the balance',
    description: 'The balance of the API key’s account.',
    responses: {
      '200': { description: 'The balance.', content: { 'application/json': { schema: Balance } } },
      ...answers('Unauthorized', 'Forbidden', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/v1/prices',
    operationId: 'getPrices',
    summary: 'Show prices',
    description: 'What each operation costs, the top-up packs and the plans: one pricing definition shared by the API, the 402 answer and the deployment.',
    responses: {
      '200': { description: 'The price list.', content: { 'application/json': { schema: Prices } } },
      ...answers('Unauthorized', 'Forbidden', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/v1/usage',
    operationId: 'getUsage',
    summary: 'Show where the credits went',
    description: 'Net spend (debits less refunds) in [from, to), per operation and per UTC day. Unknown query parameters are refused (400).',
    parameters: [{ $ref: '#/components/parameters/From' }, { $ref: '#/components/parameters/To' }],
    responses: {
      '200': { description: 'The usage summary.', content: { 'application/json': { schema: Usage } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/usage',
    operationId: 'showUsagePage',
    summary: 'Show the usage page',
    description:
      'The page behind the “See your usage” link of alert emails, the resume page and the `pageHref` of a 402’s `view_usage` action: the balance and the runway, credits used per day over the last 30 days, the breakdown by operation, the biggest recent queries, top-up packs, plans with rollover, a remind-me-later form (posting to `/remind`) and the alert settings. Opening it changes nothing.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    responses: {
      '200': {
        description: 'The usage page of the link’s account.',
        headers: {
          'Content-Security-Policy': { $ref: '#/components/headers/ContentSecurityPolicy' },
          'Referrer-Policy': { $ref: '#/components/headers/ReferrerPolicy' },
        },
        content: { 'text/html': { schema: { type: 'string', description: 'A self-contained HTML page (`text/html; charset=utf-8`), no script.' } } },
      },
      ...answers('BadRequest', 'LinkInvalid'),
      '404': { description: 'The link’s account does not exist.', content: { 'application/problem+json': { schema: Problem } } },
      ...answers('LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type OperationUsage = z.output<typeof OperationUsage>;
export type Usage = z.output<typeof Usage>;

export const usageApi: FeatureApi = {
  responses: { OperationUsage, Usage },
  operations,
};
