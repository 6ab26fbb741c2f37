import { z } from 'zod';
import { ACCOUNT_ID, KEY_ID } from '../accounts/model.ts';
import { ledgerQuery } from '../metering/routes.ts';
import { QUERY_ID } from '../metering/txn.ts';
import { REMINDER_ID } from '../reminders/model.ts';
import type { Route } from '../routes.ts';
import { PROBLEM_BASE } from '../shared/errors.ts';
import { IDEMPOTENCY_KEY } from './request.ts';

/**
 * The API document's shared parts: what every feature's `openapi.ts` builds on (the problem
 * schemas, shared parameters, headers and error answers). Only the generator (`bin/openapi.ts`)
 * and tests import these modules; handlers never do, so no Lambda bundle carries them.
 */

/** A JSON value of the document; a zod schema anywhere in it becomes a `$ref` to its component. */
export type DocValue = string | number | boolean | null | Schema | readonly DocValue[] | { readonly [key: string]: DocValue | undefined };

/** A zod schema, full or `zod/mini`. */
export type Schema = z.core.$ZodType;

/** A schema used as it is elsewhere (so references to it stay references), with the document's words for it. */
export interface Described {
  schema: Schema;
  meta: Record<string, unknown>;
}

/** One operation: one entry of a feature's `operations`, keyed like the route table (`METHOD /path`). */
export interface Operation {
  method: Route['method'];
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  parameters?: DocValue[];
  requestBody?: DocValue;
  responses: Record<string, DocValue>;
}

/** A top-level OpenAPI 3.1 webhook: a request Tollgate sends to the operator. */
export interface Webhook {
  name: string;
  method: 'POST';
  /** `tags` group it with its feature's operations in a reader (an operation of the route table takes its tag from there). */
  operation: Omit<Operation, 'method' | 'path'> & { tags?: string[] };
}

/** What one feature contributes to the document. */
export interface FeatureApi {
  /** Schemas of request bodies, described as the code accepts them (zod input). */
  requests?: Record<string, Schema | Described>;
  /** Schemas of what the code answers (zod output). */
  responses?: Record<string, Schema | Described>;
  operations?: Operation[];
  webhooks?: Webhook[];
  components?: { parameters?: Record<string, DocValue>; headers?: Record<string, DocValue>; responses?: Record<string, DocValue> };
}

/**
 * A copy of `schema` with the document's words, as full zod's `.meta()` makes one; also for the
 * `zod/mini` schemas of the request paths, which have no `.meta()`.
 */
export function withMeta<S extends Schema>(schema: S, meta: Record<string, unknown>): S {
  const copy = z.core.clone(schema);
  z.globalRegistry.add(copy, meta);
  return copy;
}

/**
 * The code's own object schema (full or `zod/mini`) with the document's words on its fields.
 * `meta` is ignored by validation, so the document describes exactly what the code accepts; a
 * field given a schema instead of words is replaced (for what the document says more precisely,
 * e.g. the price book's operation names where the code accepts any well-formed name).
 */
export function described<S extends z.core.$ZodObject>(
  schema: S,
  fields: { [K in keyof S['_zod']['def']['shape']]?: string | Schema },
  meta?: Record<string, unknown>,
): S {
  const own = schema._zod.def.shape;
  const shape = Object.fromEntries(
    Object.entries(fields).map(([name, words]) => [name, typeof words === 'string' ? withMeta(own[name] as Schema, { description: words }) : words]),
  );
  const extended = z.core.util.safeExtend(schema, shape as z.core.$ZodShape) as unknown as S;
  return meta ? withMeta(extended, meta) : extended;
}

/** A schema written out in place (a parameter's, a header's), as the code accepts it. */
export function jsonSchema(schema: Schema): DocValue {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema as z.ZodType, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  return rest as DocValue;
}

export const PROBLEM_TYPE = (slug: string) => `${PROBLEM_BASE}${slug}`;

/** What every metered success carries: its price, the balance left, and the in-band low-balance signals. */
export const meteredHeaders = {
  'Credits-Charged': { $ref: '#/components/headers/CreditsCharged' },
  'Credits-Remaining': { $ref: '#/components/headers/CreditsRemaining' },
  'RateLimit-Policy': { $ref: '#/components/headers/RateLimitPolicy' },
  RateLimit: { $ref: '#/components/headers/RateLimit' },
  'Credits-Low': { $ref: '#/components/headers/CreditsLow' },
};

/** The body of an answer that is a page for people. */
export const htmlContent = { 'text/html': { schema: { type: 'string', description: 'A small, self-contained HTML page (`text/html; charset=utf-8`).' } } };

/** An answer that is a page for people, with the headers every page carries. */
export const htmlPage = (description: string) => ({
  description,
  headers: {
    'Content-Security-Policy': { $ref: '#/components/headers/ContentSecurityPolicy' },
    'Referrer-Policy': { $ref: '#/components/headers/ReferrerPolicy' },
  },
  content: htmlContent,
});

/** The status each shared answer of `components.responses` stands under. */
const ANSWER_STATUS = {
  BadRequest: '400',
  Unauthorized: '401',
  InsufficientCredits: '402',
  Forbidden: '403',
  LinkInvalid: '403',
  NotFound: '404',
  Conflict: '409',
  LinkExpired: '410',
  PayloadTooLarge: '413',
  UnsupportedMediaType: '415',
  IdempotencyKeyReused: '422',
  InternalError: '500',
  ServiceUnavailable: '503',
} as const;

/** Shared answers of an operation, each under its status: `...answers('BadRequest', 'InternalError')`. */
export function answers(...names: (keyof typeof ANSWER_STATUS)[]): Record<string, DocValue> {
  return Object.fromEntries(names.map((name) => [ANSWER_STATUS[name], { $ref: `#/components/responses/${name}` }]));
}

export const Problem = z
  .object({
    type: z.url().meta({
      examples: ['https://tollgate.dev/problems/validation-error'],
      description: 'A stable URI for the kind of problem, under https://tollgate.dev/problems/.',
    }),
    title: z.string().meta({ description: 'A short, human summary of the kind of problem.' }),
    status: z.int().min(400).max(599).meta({ description: 'The HTTP status code, repeated.' }),
    detail: z.string().meta({ description: 'What went wrong with this request and what to do about it.' }),
    instance: z.string().meta({ format: 'uri-reference' }).meta({
      description: 'This occurrence: the resource concerned (e.g. `/v1/queries/{queryId}`) or a URN naming the request (`urn:tollgate:request:{requestId}`).',
    }),
  })
  .meta({
    description:
      'An RFC 9457 problem detail. Every error answer uses it, with `Content-Type: application/problem+json`. Extension members may follow the standard ones.',
  });

export const ValidationProblem = z
  .intersection(
    Problem,
    z.object({
      errors: z
        .array(
          z.object({
            path: z.string().meta({ examples: ['body.credits'], description: 'Where the failure is, starting with `body`, `query` or `body.input`.' }),
            message: z.string().meta({ examples: ['must be a whole number of credits'] }),
          }),
        )
        .optional(),
    }),
  )
  .meta({ description: 'A 400 problem (`type` …/validation-error). When the input failed schema validation, `errors` lists each failure.' });

/** The document's head; the generator adds the package's version, summary and license. */
export const info = {
  openapi: '3.1.1',
  info: {
    title: 'Tollgate',
    description:
      "Serverless usage metering. Credits are integers; debits are atomic and never overdraw; every balance change is in the ledger. Admin routes take `Authorization: Bearer <admin key>`; client routes take `Authorization: Bearer <API key>` and only ever see that key’s account. Every error is `application/problem+json` (RFC 9457), except a few HTML pages for a browser on the link routes, documented with each answer. The link routes (the usage page, remind me later, resuming a parked query, checkout and the one-click unsubscribe) take no key: a signed, expiring `token` in the query string names the account, and they answer with HTML pages. Request bodies are JSON, at most 16 KiB, and request schemas refuse unknown fields. The Stripe webhook takes no key either: Stripe's signature over the raw body (`Stripe-Signature`) is its authentication.",
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  servers: [{ url: 'http://localhost:3000', description: 'The local stack (`npm start`)' }],
  tags: [
    { name: 'health', description: 'Liveness' },
    { name: 'accounts', description: 'Accounts and API keys (admin)' },
    { name: 'metering', description: 'Top-ups, debits and the ledger (admin)' },
    { name: 'usage', description: 'Balance, prices and usage (client), and the usage page (signed link)' },
    { name: 'queries', description: 'The example metered service (client), and resuming a parked query from a signed link' },
    { name: 'alerts', description: 'Balance alert settings (admin and client) and the one-click unsubscribe (signed link)' },
    { name: 'reminders', description: 'Remind me later (client and signed link)' },
    { name: 'payments', description: 'Checkout from signed Buy links, the page after paying, and the Stripe webhook' },
    { name: 'holds', description: 'Holds for work priced afterwards: reserve an estimate, settle the actual price, or release (client)' },
    { name: 'reports', description: 'The recovery funnel report and the usage digest job on demand (admin)' },
    { name: 'webhooks', description: 'Outbound webhook endpoints, their secrets and deliveries (admin)' },
  ],
};

export const securitySchemes = {
  adminKey: { type: 'http', scheme: 'bearer', description: 'The admin key (`TOLLGATE_ADMIN_KEY`).' },
  apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'tg_ + 43 base64url characters', description: 'An account’s API key.' },
  consoleSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tollgate_console',
    description: 'The operator console’s session: signed, expires after an hour; got from POST /console/sign-in with the admin key.',
  },
};

export const httpApi: FeatureApi = {
  responses: { Problem, ValidationProblem },
  components: {
    parameters: {
      AccountId: { name: 'accountId', in: 'path', required: true, schema: jsonSchema(z.string().regex(ACCOUNT_ID)) },
      KeyId: { name: 'keyId', in: 'path', required: true, schema: jsonSchema(z.string().regex(KEY_ID)) },
      QueryId: { name: 'queryId', in: 'path', required: true, schema: jsonSchema(z.string().regex(QUERY_ID)) },
      ReminderId: { name: 'reminderId', in: 'path', required: true, schema: jsonSchema(z.string().regex(REMINDER_ID)) },
      IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description:
          'A key unique to this request (1–255 visible ASCII characters). A retry with the same key and body gets the first answer again (with `Idempotent-Replayed: true`) and is not applied twice; the same key with another body gets 422. Keys are remembered for at least 24 h.',
        schema: jsonSchema(z.string().min(1).max(255).regex(IDEMPOTENCY_KEY)),
      },
      OptionalIdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Optional. As for top-ups: a retry with the same key and body is answered from the first attempt and charged once; the same key with another body gets 422.',
        schema: jsonSchema(z.string().min(1).max(255).regex(IDEMPOTENCY_KEY)),
      },
      Limit: { name: 'limit', in: 'query', required: false, schema: jsonSchema(ledgerQuery().shape.limit) },
      Cursor: {
        name: 'cursor',
        in: 'query',
        required: false,
        description: 'The `nextCursor` of the previous page.',
        schema: jsonSchema(ledgerQuery().shape.cursor),
      },
      From: {
        name: 'from',
        in: 'query',
        required: false,
        description: 'Start (inclusive): an ISO-8601 date or date-time with offset. Default: 30 days before `to`.',
        schema: { type: 'string', anyOf: [{ format: 'date-time' }, { format: 'date' }] },
      },
      To: {
        name: 'to',
        in: 'query',
        required: false,
        description: 'End (exclusive): an ISO-8601 date or date-time with offset. Default: now. Must be after `from`, at most 366 days later.',
        schema: { type: 'string', anyOf: [{ format: 'date-time' }, { format: 'date' }] },
      },
      LinkToken: {
        name: 'token',
        in: 'query',
        required: true,
        description:
          'The signed token of a link in an alert email, a 402 answer or a page (`payload.signature`, base64url, HMAC-SHA256): it names the account and the purpose (`usage`, `remind`, `resume` — which also names the parked query — or `unsubscribe`), and it expires (after `LINK_TTL_HOURS`, 7 days by default; unsubscribe links after 90 days). It is the only credential; no `Authorization` header is needed. A missing or out-of-range token, or any other query parameter, is a 400; a token that is tampered with or made for another purpose is a 403; an expired one a 410.',
        schema: { type: 'string', minLength: 10, maxLength: 2048 },
      },
    },
    headers: {
      CreditsCharged: { description: 'Credits this request cost.', schema: { type: 'integer', minimum: 1 } },
      CreditsRemaining: { description: 'The balance right after this request.', schema: { type: 'integer', minimum: 0 } },
      IdempotentReplayed: {
        description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key and body; nothing more was charged.',
        schema: { const: 'true' },
      },
      RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
      WWWAuthenticate: { description: 'Always `Bearer`.', schema: { const: 'Bearer' } },
      Location: { description: 'The new account’s path.', schema: { type: 'string' } },
      ContentSecurityPolicy: {
        description: "The HTML pages load nothing: `default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'`.",
        schema: { type: 'string' },
      },
      ReferrerPolicy: { description: 'Always `no-referrer`, so the token in the address is not passed on.', schema: { const: 'no-referrer' } },
      RateLimitPolicy: {
        description:
          'The prepaid credits as a quota policy (draft-ietf-httpapi-ratelimit-headers, structured field): policy "credits", `q` = the credits the latest top-up or plan grant left. No window or reset: credits do not refill on a clock.',
        schema: { type: 'string', examples: ['"credits";q=1000'] },
      },
      RateLimit: {
        description:
          'What remains of the "credits" quota (draft-ietf-httpapi-ratelimit-headers, structured field): `r` = credits left, the same number as Credits-Remaining.',
        schema: { type: 'string', examples: ['"credits";r=42'] },
      },
      CreditsLow: {
        description:
          "Present only when the balance is at or below the account's lowest alert threshold (default 5 % of what the latest top-up or grant left): a structured-field dictionary with `threshold` (percent), `level` (credits) and `usage` (a signed, expiring link to the customer's usage page, for a banner). Absent otherwise.",
        schema: { type: 'string', examples: ['threshold=5, level=50, usage="https://api.example.com/usage?token=…"'] },
      },
    },
    responses: {
      BadRequest: {
        description:
          'Invalid input: malformed JSON or UTF-8, a field of the wrong type or out of range, unknown fields (request schemas are strict), a malformed path id or query parameter, or a missing or malformed `Idempotency-Key` where one is needed.',
        content: { 'application/problem+json': { schema: ValidationProblem } },
      },
      Unauthorized: {
        description: 'Missing or malformed `Authorization: Bearer …`, or an unknown or revoked key.',
        headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' } },
        content: { 'application/problem+json': { schema: Problem } },
      },
      Forbidden: {
        description: 'The wrong kind of key: an API key on an admin route, or the admin key on a client route.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      NotFound: { description: 'Not found, or not visible to this caller.', content: { 'application/problem+json': { schema: Problem } } },
      Conflict: {
        description:
          'Conflicts with the current state (e.g. the first request with this Idempotency-Key is still being processed — retry after `Retry-After`).',
        headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
        content: { 'application/problem+json': { schema: Problem } },
      },
      PayloadTooLarge: { description: 'The body is larger than 16 KiB (16,384 bytes).', content: { 'application/problem+json': { schema: Problem } } },
      UnsupportedMediaType: {
        description: 'A body was sent without a JSON `Content-Type` (`application/json` or `application/*+json`).',
        content: { 'application/problem+json': { schema: Problem } },
      },
      IdempotencyKeyReused: {
        description: 'This Idempotency-Key was already used with a different body. Use a new key for a new request.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      InternalError: {
        description: 'An unexpected failure; no internals are revealed. Metered requests are not charged for it.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      ServiceUnavailable: {
        description: 'A storage dependency is unavailable or throttling. Nothing was charged; retry after `Retry-After`.',
        headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
        content: { 'application/problem+json': { schema: Problem } },
      },
      LinkInvalid: {
        description:
          'The link’s token is not valid: its signature does not match (tampered with, truncated, or signed with another secret), its signed claims are not in the shape its purpose requires (JSON with an integer `exp`, no unknown fields), or it was made for another purpose than this page.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      LinkExpired: {
        description: 'The link’s token has expired (`type` …/gone). A newer email carries a fresh link.',
        content: { 'application/problem+json': { schema: Problem } },
      },
    },
  },
};
