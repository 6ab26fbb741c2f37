import { z } from 'zod';
import { Balance } from '../accounts/openapi.ts';
import { answers, described, type FeatureApi, htmlContent, htmlPage, meteredHeaders, Problem } from '../http/openapi.ts';
import { OperationName } from '../pricing/openapi.ts';
import { submitQueryBody } from './routes.ts';
import { queryInputs } from './service.ts';

export const SearchInput = described(queryInputs.search, { q: 'Words that must all appear (trimmed).' });

export const ReportInput = queryInputs.report;

export const ExportInput = described(queryInputs.export, { category: 'Only this category; all parts when absent.' });

export const QueryRequest = described(submitQueryBody(), {
  operation: OperationName,
  input: z.union([SearchInput, ReportInput, ExportInput]).optional().meta({
    description:
      'The operation’s input (default `{}`), validated before anything is charged: `search` takes SearchInput, `report` ReportInput, `export` ExportInput.',
  }),
});

export const Part = z.object({
  sku: z.string(),
  name: z.string(),
  category: z.string(),
  supplier: z.string(),
  priceUsd: z.number(),
  stock: z.int(),
  rating: z.number(),
});

export const SearchResult = z.object({ total: z.int().min(0), items: z.array(Part) });

export const ReportResult = z.object({
  groupBy: z.enum(['category', 'supplier']),
  rows: z
    .array(
      z.object({
        category: z.string().optional(),
        supplier: z.string().optional(),
        parts: z.int(),
        unitsInStock: z.int(),
        averagePriceUsd: z.number(),
        averageRating: z.number(),
        outOfStock: z.int(),
      }),
    )
    .meta({ description: 'One row per group (keyed by the `groupBy` field), most units in stock first.' }),
});

export const ExportResult = z.object({ rows: z.int().min(0), contentType: z.literal('text/csv'), csv: z.string() });

export const QueryResult = z
  .object({
    id: z.string().regex(/^q_[A-Za-z0-9_-]{16,32}$/),
    operation: z.string(),
    status: z.literal('completed'),
    charged: z.int().min(1),
    result: z.union([SearchResult, ReportResult, ExportResult]),
    balance: Balance,
  })
  .meta({ description: 'A completed metered query.' });

export const Query = z
  .object({
    id: z.string().regex(/^q_[A-Za-z0-9_-]{16,32}$/),
    operation: z.string(),
    status: z.enum(['parked', 'running', 'completed', 'failed', 'expired']),
    price: z.int().min(1),
    charged: z.int().min(0).meta({
      description:
        'The price while running or completed; 0 otherwise (parked, or failed and refunded). A running query is charged as its work starts: one whose request died before its charge reached the balance was never charged, and is removed by the sweeper (or charged once by a retry with its Idempotency-Key).',
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().meta({ description: 'Parked (and expired) queries only: when resuming stops being possible.' }).optional(),
    result: z.union([SearchResult, ReportResult, ExportResult]).meta({ description: 'Completed queries only.' }).optional(),
  })
  .meta({ description: 'A query as it stands. `expired`: parked past its resume window. `running`: being worked on now.' });

export const WorkFailedProblem = z
  .intersection(
    Problem,
    z.object({
      type: z.literal('https://tollgate.dev/problems/work-failed').optional(),
      status: z.literal(500).optional(),
      refunded: z.int().min(1).meta({ description: 'Credits given back.' }),
      query: z.object({ id: z.string(), status: z.literal('failed') }),
    }),
  )
  .meta({ description: 'A 500 problem (`type` …/work-failed): the metered work failed after the charge, and the credits were refunded.' });

const operations: FeatureApi['operations'] = [
  {
    method: 'POST',
    path: '/v1/queries',
    operationId: 'submitQuery',
    summary: 'Run a metered query',
    description:
      'Charges the operation’s price atomically, then runs it on the example metered service. If the work fails the charge is refunded (500 work-failed). When the balance does not cover the price: 402, nothing charged, and the query is parked for resuming.',
    parameters: [{ $ref: '#/components/parameters/OptionalIdempotencyKey' }],
    requestBody: { required: true, content: { 'application/json': { schema: QueryRequest } } },
    responses: {
      '200': {
        description: 'Completed and charged.',
        headers: {
          ...meteredHeaders,
          'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
        },
        content: { 'application/json': { schema: QueryResult } },
      },
      ...answers(
        'BadRequest',
        'Unauthorized',
        'InsufficientCredits',
        'Forbidden',
        'Conflict',
        'PayloadTooLarge',
        'UnsupportedMediaType',
        'IdempotencyKeyReused',
      ),
      '500': {
        description: 'The work failed and its credits were refunded (`type` …/work-failed), or an unexpected failure.',
        content: { 'application/problem+json': { schema: { anyOf: [WorkFailedProblem, Problem] } } },
      },
      '503': { $ref: '#/components/responses/ServiceUnavailable' },
    },
  },
  {
    method: 'GET',
    path: '/v1/queries/{queryId}',
    operationId: 'getQuery',
    summary: 'Show a query',
    parameters: [{ $ref: '#/components/parameters/QueryId' }],
    responses: {
      '200': { description: 'The query.', content: { 'application/json': { schema: Query } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/queries/{queryId}/resume',
    operationId: 'resumeQuery',
    summary: 'Resume a parked query',
    description: 'Charges and runs a parked query now, exactly once however many resumes race. No body is read.',
    parameters: [{ $ref: '#/components/parameters/QueryId' }],
    responses: {
      '200': {
        description: 'Completed and charged.',
        headers: {
          ...meteredHeaders,
        },
        content: { 'application/json': { schema: QueryResult } },
      },
      ...answers('BadRequest', 'Unauthorized', 'InsufficientCredits', 'Forbidden', 'NotFound'),
      '409': {
        description: 'Already completed, running, being resumed, or failed (and refunded).',
        content: { 'application/problem+json': { schema: Problem } },
      },
      '410': { description: 'Parked past its resume window; send it again as a new query.', content: { 'application/problem+json': { schema: Problem } } },
      '500': {
        description: 'The work failed and its credits were refunded (`type` …/work-failed), or an unexpected failure.',
        content: { 'application/problem+json': { schema: { anyOf: [WorkFailedProblem, Problem] } } },
      },
      '503': { $ref: '#/components/responses/ServiceUnavailable' },
    },
  },
  {
    method: 'GET',
    path: '/resume',
    operationId: 'showResumePage',
    summary: 'Show a parked query from a resume link',
    description:
      'The page behind the “Resume” link of the email sent when a query is parked. Opening it changes nothing: it shows the query waiting (how many credits short, with a link to the usage page) while the balance does not cover it, or ready to run with a button that POSTs to this same address, or that it has already run.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    responses: {
      '200': htmlPage('The query waiting for credits, ready to run (with a “Run it now” button), or already done (it runs only once).'),
      ...answers('BadRequest', 'LinkInvalid'),
      '404': {
        description: 'The link names no query of the account, or the account does not exist.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      '409': htmlPage('Nothing to resume: the query is running, or failed and was refunded (an HTML page).'),
      '410': {
        description:
          'The link’s token has expired (`application/problem+json`, as LinkExpired), or the query is past its resume window (`text/html`: a page asking to send it again).',
        content: {
          'application/problem+json': { schema: Problem },
          ...htmlContent,
        },
      },
      ...answers('InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/resume',
    operationId: 'resumeFromLink',
    summary: 'Resume a parked query from a resume link',
    description:
      'The button of the resume page: charges and runs the parked query the link names, exactly once however many clicks or resumes race. No body is read. Answers with an HTML page.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    responses: {
      '200': htmlPage(
        'Done: the query ran, with the credits charged and left (its result is at `/v1/queries/{queryId}`); or, when the balance still does not cover it, the page of the waiting query (nothing charged).',
      ),
      ...answers('BadRequest', 'LinkInvalid'),
      '404': {
        description: 'The link names no query of the account, or the account does not exist.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      '409': {
        description: 'Already completed, running, being resumed, or failed (and refunded).',
        content: { 'application/problem+json': { schema: Problem } },
      },
      '410': {
        description: 'The link’s token has expired (as LinkExpired), or the query is parked past its resume window; send it again as a new query.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      '500': {
        description: 'The work failed and its credits were refunded (`text/html`: a page saying so), or an unexpected failure (`application/problem+json`).',
        content: {
          'application/problem+json': { schema: Problem },
          ...htmlContent,
        },
      },
      '503': { $ref: '#/components/responses/ServiceUnavailable' },
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type SearchResult = z.output<typeof SearchResult>;
export type ReportResult = z.output<typeof ReportResult>;
export type ExportResult = z.output<typeof ExportResult>;

export const queriesApi: FeatureApi = {
  requests: { SearchInput, ReportInput, ExportInput, QueryRequest },
  responses: { Part, SearchResult, ReportResult, ExportResult, QueryResult, Query, WorkFailedProblem },
  operations,
};
