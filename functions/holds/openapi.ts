import { z } from 'zod';
import { Balance } from '../accounts/openapi.ts';
import { answers, described, type FeatureApi, Problem } from '../http/openapi.ts';
import { HOLD_ID, placeHoldSchema, settleHoldSchema } from './model.ts';

export const HoldRequest = described(placeHoldSchema(), {
  operation: 'The operation the ledger and usage record the work under: any lower-case name, priced by the settle rather than the price book.',
  credits: 'The estimate to reserve: at most the available balance.',
  expiresIn: 'An ISO-8601 duration from PT1M to PT24H: a hold neither settled nor released by then is released automatically (nothing charged).',
});

export const SettleHoldRequest = described(settleHoldSchema(), {
  credits:
    'What the work actually cost (0 allowed). Above the hold, the price book’s `holdOverage` decides: `cap` (default) takes the hold, `allow` also takes the overage from the available balance as far as it goes.',
});

export const Hold = z
  .object({
    id: z.string().regex(HOLD_ID),
    operation: z.string(),
    held: z.int().min(1).meta({ description: 'The credits reserved.' }),
    status: z.enum(['held', 'settled', 'released']),
    expiresAt: z.iso.datetime(),
    charged: z.int().min(0).meta({ description: 'What the settle took; 0 until settled, and for a released hold.' }),
    releasedBy: z.enum(['request', 'expired']).optional().meta({ description: 'On a released hold: released by a request, or on expiry.' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    balance: Balance,
  })
  .meta({ description: 'Credits reserved for work priced afterwards, and what became of them.' });

export type Hold = z.output<typeof Hold>;

const HOLD_ID_PARAMETER = { $ref: '#/components/parameters/HoldId' };
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
const hold = (description: string) => ({
  description,
  headers: { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } },
  content: { 'application/json': { schema: Hold } },
});
const clientErrors = answers('BadRequest', 'Unauthorized', 'Forbidden');
const serverErrors = answers('InternalError', 'ServiceUnavailable');
const bodyErrors = answers('PayloadTooLarge', 'UnsupportedMediaType');

const operations: FeatureApi['operations'] = [
  {
    method: 'POST',
    path: '/v1/holds',
    operationId: 'placeHold',
    summary: 'Hold an estimate for work priced afterwards',
    description:
      'Reserves `credits` out of the available balance atomically, never more than is available. A caller who is short gets the same 402 recovery answer as a metered request, and nothing is held. With an `Idempotency-Key`, a retry gets the first answer again.',
    parameters: [{ $ref: '#/components/parameters/OptionalIdempotencyKey' }],
    requestBody: { required: true, content: { 'application/json': { schema: HoldRequest } } },
    responses: {
      '201': {
        ...hold('Held.'),
        headers: { ...hold('').headers, Location: { description: 'The hold’s path, `/v1/holds/{holdId}`.', schema: { type: 'string' } } },
      },
      ...clientErrors,
      ...answers('InsufficientCredits', 'Conflict'),
      ...bodyErrors,
      '422': { $ref: '#/components/responses/IdempotencyKeyReused' },
      ...serverErrors,
    },
  },
  {
    method: 'GET',
    path: '/v1/holds/{holdId}',
    operationId: 'getHold',
    summary: 'Show a hold and the balance',
    parameters: [HOLD_ID_PARAMETER],
    responses: { '200': hold('The hold.'), ...clientErrors, '404': problem('No such hold on the API key’s account.'), ...serverErrors },
  },
  {
    method: 'POST',
    path: '/v1/holds/{holdId}/settle',
    operationId: 'settleHold',
    summary: 'Settle a hold at the actual price',
    description:
      'Takes the actual price and gives back the rest of the hold, exactly once. The same settle again answers the same settlement (`Idempotent-Replayed: true`); another amount is a 409.',
    parameters: [HOLD_ID_PARAMETER],
    requestBody: { required: true, content: { 'application/json': { schema: SettleHoldRequest } } },
    responses: {
      '200': hold('Settled.'),
      ...clientErrors,
      '404': problem('No such hold on the API key’s account.'),
      '409': problem('Already settled for another amount, or released.'),
      '410': problem('The hold expired and was released; nothing was charged.'),
      ...bodyErrors,
      ...serverErrors,
    },
  },
  {
    method: 'POST',
    path: '/v1/holds/{holdId}/release',
    operationId: 'releaseHold',
    summary: 'Release a hold whole',
    description: 'Gives the whole hold back, exactly once (the work failed or was cancelled). No body, or `{}`.',
    parameters: [HOLD_ID_PARAMETER],
    responses: {
      '200': hold('Released (again: `Idempotent-Replayed: true`).'),
      ...clientErrors,
      '404': problem('No such hold on the API key’s account.'),
      '409': problem('Already settled.'),
      '410': problem('The hold expired and was released already.'),
      ...bodyErrors,
      ...serverErrors,
    },
  },
];

export const holdsApi: FeatureApi = {
  requests: { HoldRequest, SettleHoldRequest },
  responses: { Hold },
  operations,
  components: {
    parameters: { HoldId: { name: 'holdId', in: 'path', required: true, schema: { type: 'string', pattern: HOLD_ID.source } } },
  },
};
