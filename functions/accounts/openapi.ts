import { z } from 'zod';
import { AlertSettings, AlertSettingsPatch } from '../alerts/openapi.ts';
import { localeSchema } from '../copy/locales-schema.ts';
import { answers, described, type FeatureApi, ValidationProblem } from '../http/openapi.ts';
import { documentedPriceBook, PlanId } from '../pricing/openapi.ts';
import { accountSettingsBody, createAccountBody, createKeyBody } from './routes.ts';

/** Reserved by open holds, outside `available`. */
export const Held = z.int().min(0).meta({ description: 'Reserved by open holds (work priced afterwards): not available, not spent yet.' });

export const Balance = z.object({ available: z.int().min(0), held: Held, unit: z.literal('credits'), asOf: z.iso.datetime() });

export const Account = z.object({
  id: z.string().regex(/^acc_[A-Za-z0-9_-]{16}$/),
  name: z.string(),
  email: z.email(),
  externalId: z
    .string()
    .regex(/^[\x21-\x7E]{1,128}$/)
    .meta({ description: 'The platform’s own id of this customer (a tenant id), unique across accounts; absent when the account was created without one.' })
    .optional(),
  plan: z.string(),
  autoResume: z.boolean().meta({ description: 'Whether a top-up runs parked queries automatically.' }),
  balance: Balance,
  shards: z
    .int()
    .min(1)
    .max(64)
    .meta({ description: 'How many sub-balances the account’s credits are kept in (1: not sharded). `balance` is always the exact total.' }),
  createdAt: z.iso.datetime(),
  unrecoveredCredits: z
    .int()
    .min(0)
    .meta({ description: 'Refunded credits that could not be taken back because they were already spent (a reversal never takes the balance below zero).' }),
  locale: localeSchema.optional().meta({ description: 'The language of the customer’s emails and pages; English when absent.' }),
});

export const CreateAccountRequest = described(createAccountBody, {
  name: 'The customer’s name. Trimmed; must not be empty or contain control characters.',
  plan: PlanId.optional().meta({
    default: documentedPriceBook.defaultPlan,
    description: 'A plan id from `GET /v1/prices`; the price book’s `defaultPlan` when absent.',
  }),
  externalId:
    'Your platform’s own id of this customer (a tenant id, a JWT claim), 1–128 printable ASCII characters without spaces. Unique: a second account with the same id is refused with 409. `meter({ account })` can then charge the account by this id.',
  locale: 'The language of the customer’s emails and pages; `en` when absent.',
});

export const PlanChangeRequest = described(
  accountSettingsBody,
  {
    plan: PlanId.optional().meta({ description: 'A plan id from `GET /v1/prices`.' }),
    autoResume: "When true, a top-up runs the account's parked queries, oldest first, while the balance covers them, and emails the customer which ran.",
    locale: 'The language of the customer’s emails and pages.',
    shards:
      'Keep the credits in this many sub-balances on different partition keys (1–64; 1 turns sharding off), for an account whose debits pass about 1,000 per second (one DynamoDB item’s write ceiling). Online: no debit is lost or doubled while it changes. A `402` still comes only when the total is short. See the README’s “Hot accounts”.',
  },
  // The code's refinement (at least one setting), which JSON Schema cannot carry by itself.
  {
    minProperties: 1,
    description:
      'Any of the account settings: a new plan (its grant starts with the next renewal), auto-resume, the locale and/or the number of sub-balances. At least one.',
  },
);

export const CreateKeyRequest = described(createKeyBody, { name: 'A label for the key. Trimmed; must not be empty or contain control characters.' });

export const ApiKeyCreated = z.object({
  id: z.string().regex(/^key_[A-Za-z0-9_-]{16}$/),
  key: z
    .string()
    .regex(/^tg_[A-Za-z0-9_-]{43}$/)
    .meta({ description: 'The API key. Shown only in this answer; only its hash is stored.' }),
  name: z.string().optional(),
  createdAt: z.iso.datetime(),
});

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/v1/accounts',
    operationId: 'findAccountByExternalId',
    summary: 'Find an account by its externalId',
    description: 'The account created with this `externalId` (your platform’s own id of the customer), or 404.',
    parameters: [
      {
        name: 'externalId',
        in: 'query',
        required: true,
        schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,128}$' },
        description: 'The id given when the account was created.',
      },
    ],
    responses: {
      '200': { description: 'The account.', content: { 'application/json': { schema: Account } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/accounts',
    operationId: 'createAccount',
    summary: 'Create an account',
    description: 'Creates a customer account with a zero balance on the given plan (default `free`).',
    requestBody: { required: true, content: { 'application/json': { schema: CreateAccountRequest } } },
    responses: {
      '201': {
        description: 'Created.',
        headers: { Location: { $ref: '#/components/headers/Location' } },
        content: { 'application/json': { schema: Account } },
      },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'Conflict', 'PayloadTooLarge', 'UnsupportedMediaType', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/v1/accounts/{accountId}',
    operationId: 'getAccount',
    summary: 'Show an account',
    parameters: [{ $ref: '#/components/parameters/AccountId' }],
    responses: {
      '200': { description: 'The account.', content: { 'application/json': { schema: Account } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'PATCH',
    path: '/v1/accounts/{accountId}',
    operationId: 'changePlan',
    summary: 'Change an account’s plan',
    description:
      'Moves the account to another plan (the new plan’s monthly grant starts with the next renewal; credits already granted stay as they are), and/or changes its other settings, including `shards`: how many sub-balances a hot account’s debits spread over. Changes of `shards` on one account run one at a time: a second waits for the first, and answers `409` if it is still running after 10 s.',
    parameters: [{ $ref: '#/components/parameters/AccountId' }],
    requestBody: { required: true, content: { 'application/json': { schema: PlanChangeRequest } } },
    responses: {
      '200': { description: 'The account, on its new plan.', content: { 'application/json': { schema: Account } } },
      '400': {
        description: 'Invalid input (see BadRequest), including a plan that is not one of `GET /v1/prices`.',
        content: { 'application/problem+json': { schema: ValidationProblem } },
      },
      ...answers('Unauthorized', 'Forbidden', 'NotFound', 'Conflict', 'PayloadTooLarge', 'UnsupportedMediaType', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/accounts/{accountId}/keys',
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description: 'Creates an API key for the account. The key is shown only in this answer. An account has at most 10 active keys.',
    parameters: [{ $ref: '#/components/parameters/AccountId' }],
    requestBody: { required: false, content: { 'application/json': { schema: CreateKeyRequest } } },
    responses: {
      '201': { description: 'Created; `key` is shown only now.', content: { 'application/json': { schema: ApiKeyCreated } } },
      ...answers(
        'BadRequest',
        'Unauthorized',
        'Forbidden',
        'NotFound',
        'Conflict',
        'PayloadTooLarge',
        'UnsupportedMediaType',
        'InternalError',
        'ServiceUnavailable',
      ),
    },
  },
  {
    method: 'DELETE',
    path: '/v1/accounts/{accountId}/keys/{keyId}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'Revokes the key at once.',
    parameters: [{ $ref: '#/components/parameters/AccountId' }, { $ref: '#/components/parameters/KeyId' }],
    responses: {
      '204': { description: 'Revoked.' },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'PUT',
    path: '/v1/accounts/{accountId}/alerts',
    operationId: 'updateAccountAlerts',
    summary: 'Change an account’s alert settings',
    description: 'Sets any of the account’s balance alert settings (thresholds, recipient, on/off, usage digest) and answers with the settings now in force.',
    parameters: [{ $ref: '#/components/parameters/AccountId' }],
    requestBody: { required: false, content: { 'application/json': { schema: AlertSettingsPatch } } },
    responses: {
      '200': { description: 'The settings now in force.', content: { 'application/json': { schema: AlertSettings } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'PayloadTooLarge', 'UnsupportedMediaType', 'InternalError', 'ServiceUnavailable'),
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type Balance = z.output<typeof Balance>;
export type Account = z.output<typeof Account>;
export type ApiKeyCreated = z.output<typeof ApiKeyCreated>;

export const accountsApi: FeatureApi = {
  requests: { CreateAccountRequest, PlanChangeRequest, CreateKeyRequest },
  responses: { Balance, Account, ApiKeyCreated },
  operations,
};
