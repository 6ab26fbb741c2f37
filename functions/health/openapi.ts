import { z } from 'zod';
import type { FeatureApi } from '../http/openapi.ts';

export const Health = z.object({ status: z.literal('ok') });

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Liveness check',
    description: 'Answers once the API is up. Needs no key. (Unknown paths are answered by the same function with a 404 problem.)',
    responses: { '200': { description: 'Up.', content: { 'application/json': { schema: Health } } }, '500': { $ref: '#/components/responses/InternalError' } },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type Health = z.output<typeof Health>;

export const healthApi: FeatureApi = {
  responses: { Health },
  operations,
};
