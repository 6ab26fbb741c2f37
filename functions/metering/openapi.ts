import { z } from 'zod';
import { Balance } from '../accounts/openapi.ts';
import { answers, described, type FeatureApi, meteredHeaders } from '../http/openapi.ts';
import { OperationName } from '../pricing/openapi.ts';
import { debitBody, externalDebitBody, topUpBody } from './routes.ts';

export const TopUpRequest = described(topUpBody(), {
  credits: 'A whole, positive number of credits (at most 1,000,000,000).',
  reference: 'Your reference, e.g. an invoice number. Trimmed; must not be empty or contain control characters.',
});

export const TopUp = z.object({ id: z.string(), credits: z.int().min(1), reference: z.string().optional(), balance: Balance });

export const DebitRequest = described(debitBody(), { credits: 'A whole, positive number of credits (at most 1,000,000,000).', operation: OperationName });

export const ExternalDebitRequest = described(externalDebitBody(), {
  externalId: 'The `externalId` the account was created with.',
  credits: 'A whole, positive number of credits (at most 1,000,000,000).',
  operation: OperationName,
});

export const Debit = z.object({ id: z.string(), credits: z.int().min(1), operation: z.string(), balance: Balance });

export const LedgerEntry = z.object({
  id: z.string(),
  type: z.enum(['top_up', 'debit', 'refund', 'grant', 'expiry', 'reversal', 'hold', 'settle', 'release', 'transfer']).meta({
    description:
      "`grant`/`expiry`: plan credits of a period; `reversal`: credits taken back after a refund of the payment that bought them; `hold`: an estimate reserved for work priced afterwards; `settle`: what the work did not use given back (negative when an allowed overage was taken); `release`: a hold given back whole; `transfer`: credits moved between a sharded account's sub-balances (its entries sum to zero; not listed in the account's ledger, whose entries are changes of the total).",
  }),
  credits: z.int().meta({ description: 'Signed: negative for debits.' }),
  balanceAfter: z.int().min(0),
  operation: z.string().optional(),
  queryId: z.string().optional(),
  reference: z
    .string()
    .meta({ description: "What the change refers to outside Tollgate: the top-up's reference, the checkout session that paid for it, the refunded charge." })
    .optional(),
  at: z.iso.datetime(),
});

export const LedgerPage = z.object({
  entries: z.array(LedgerEntry).meta({ description: 'Newest first.' }),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next (older) page; null on the last page.' }),
});

/** What either admin debit (by account id, by externalId) answers besides its success. */
const debitAnswers = answers(
  'BadRequest',
  'Unauthorized',
  'InsufficientCredits',
  'Forbidden',
  'NotFound',
  'Conflict',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'IdempotencyKeyReused',
  'InternalError',
  'ServiceUnavailable',
);

const operations: FeatureApi['operations'] = [
  {
    method: 'POST',
    path: '/v1/accounts/{accountId}/top-ups',
    operationId: 'topUpAccount',
    summary: 'Add credits',
    description: 'Adds credits to the balance, exactly once per Idempotency-Key. Balances are capped at 1,000,000,000,000 credits (400 beyond).',
    parameters: [{ $ref: '#/components/parameters/AccountId' }, { $ref: '#/components/parameters/IdempotencyKey' }],
    requestBody: { required: true, content: { 'application/json': { schema: TopUpRequest } } },
    responses: {
      '201': {
        description: 'Added (or, with `Idempotent-Replayed: true`, the first answer again).',
        headers: { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } },
        content: { 'application/json': { schema: TopUp } },
      },
      ...answers(
        'BadRequest',
        'Unauthorized',
        'Forbidden',
        'NotFound',
        'Conflict',
        'PayloadTooLarge',
        'UnsupportedMediaType',
        'IdempotencyKeyReused',
        'InternalError',
        'ServiceUnavailable',
      ),
    },
  },
  {
    method: 'POST',
    path: '/v1/accounts/{accountId}/debits',
    operationId: 'debitAccount',
    summary: 'Debit credits',
    description:
      'The same atomic debit the metered queries use, for backends that are not Lambda: one conditional write, never below zero, exactly once per Idempotency-Key. When the balance does not cover it: 402, nothing charged (not parked).',
    parameters: [{ $ref: '#/components/parameters/AccountId' }, { $ref: '#/components/parameters/IdempotencyKey' }],
    requestBody: { required: true, content: { 'application/json': { schema: DebitRequest } } },
    responses: {
      '201': {
        description: 'Debited (or, with `Idempotent-Replayed: true`, the first answer again).',
        headers: {
          ...meteredHeaders,
          'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
        },
        content: { 'application/json': { schema: Debit } },
      },
      ...debitAnswers,
    },
  },
  {
    method: 'POST',
    path: '/v1/debits',
    operationId: 'debitByExternalId',
    summary: 'Debit credits by your own id of the customer',
    description:
      'The same atomic debit as `POST /v1/accounts/{accountId}/debits`, for a backend that knows its customers by its own id: the account created with this `externalId` is charged. An unknown externalId is a 404; nothing is charged.',
    parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }],
    requestBody: { required: true, content: { 'application/json': { schema: ExternalDebitRequest } } },
    responses: {
      '201': {
        description: 'Debited (or, with `Idempotent-Replayed: true`, the first answer again).',
        headers: {
          'Credits-Charged': { $ref: '#/components/headers/CreditsCharged' },
          'Credits-Remaining': { $ref: '#/components/headers/CreditsRemaining' },
          'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
        },
        content: { 'application/json': { schema: Debit } },
      },
      ...debitAnswers,
    },
  },
  {
    method: 'GET',
    path: '/v1/accounts/{accountId}/ledger',
    operationId: 'listLedger',
    summary: 'List ledger entries',
    description:
      'Every top-up, debit and refund with the balance after it, newest first. The ledger always sums to the balance. A sharded account’s sub-balance ledgers are merged into this one, by time; `balanceAfter` is then the total after the entry. Unknown query parameters are refused (400).',
    parameters: [{ $ref: '#/components/parameters/AccountId' }, { $ref: '#/components/parameters/Limit' }, { $ref: '#/components/parameters/Cursor' }],
    responses: {
      '200': { description: 'A page of entries.', content: { 'application/json': { schema: LedgerPage } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'InternalError', 'ServiceUnavailable'),
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type TopUp = z.output<typeof TopUp>;
export type Debit = z.output<typeof Debit>;
export type LedgerEntry = z.output<typeof LedgerEntry>;

export const meteringApi: FeatureApi = {
  requests: { TopUpRequest, DebitRequest, ExternalDebitRequest },
  responses: { TopUp, Debit, LedgerEntry, LedgerPage },
  operations,
};
