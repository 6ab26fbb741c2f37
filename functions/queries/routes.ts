import { identifyClient, requireClientAccount } from '../accounts/auth.ts';
import type { RouteMap } from '../http/handler.ts';
import { fields, idempotencyKey, parseBody, pathParam, validate } from '../http/request.ts';
import { json } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import { resumeCharge, startCharge } from '../metering/charges.ts';
import { replayed, runCharged, storedBody } from '../metering/metered-call.ts';
import { QUERY_ID, type TxnItem } from '../metering/txn.ts';
import { findTxn } from '../metering/txn-store.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { priceOf } from '../pricing/prices.ts';
import { refusalAnswer } from '../recovery/refusal.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { derivedId, randomId } from '../shared/ids.ts';
import * as z from '../shared/schema.ts';
import type { MeteredService } from './service.ts';

export interface QueryDeps {
  service: MeteredService;
  pricing: PriceBook;
  clock: Clock;
}

export const submitQueryBody = z.builtOnFirstUse(() => z.strictObject({ operation: fields.operation, input: z.optional(z.unknown()) }));

/** The example metered service's routes: submit, inspect and resume queries. */
export function queryRoutes(deps: QueryDeps): RouteMap {
  return {
    'POST /v1/queries': (event) => submit(event, deps),
    'GET /v1/queries/{queryId}': (event) => show(event, deps),
    'POST /v1/queries/{queryId}/resume': (event) => resume(event, deps),
    // The resume link's pages bring the copy catalogue: loaded by the first person who opens one, not at every cold start.
    'GET /resume': async (event) => (await import('./resume-link.ts')).showParkedQuery(event, deps),
    'POST /resume': async (event) => (await import('./resume-link.ts')).resumeParkedQuery(event, deps),
  };
}

async function submit(event: HttpEvent, deps: QueryDeps) {
  const owner = await identifyClient(event);
  const key = idempotencyKey(event, false);
  const { value, hash } = parseBody(event, submitQueryBody());
  const credits = priceOf(deps.pricing, value.operation);
  const schema = deps.service.inputSchema(value.operation);
  if (credits === undefined || !schema) {
    throw new ValidationError(`Unknown operation "${value.operation}". Known operations: ${Object.keys(deps.pricing.operations).join(', ')}.`);
  }
  const input = validate(schema, value.input ?? {}, 'body.input');
  const now = deps.clock.now();
  const start = await startCharge({
    accountId: owner.accountId,
    keyId: owner.keyId,
    kind: 'query',
    keyless: !key,
    txnId: key ? derivedId('q', owner.accountId, key) : randomId('q'),
    operation: value.operation,
    credits,
    input,
    requestHash: hash,
    now,
  });
  if (start.kind === 'replay') return replayed(start.response);
  if (start.kind === 'insufficient') return refusalAnswer(event, start, now);
  return runCharged(start.txn, () => deps.service.run(value.operation, input), deps.clock, start.account);
}

async function show(event: HttpEvent, deps: QueryDeps) {
  const { owner } = await requireClientAccount(event);
  const queryId = pathParam(event, 'queryId', QUERY_ID);
  const txn = await findTxn(owner.accountId, queryId);
  if (txn?.kind !== 'query') throw new NotFoundError(`There is no query "${queryId}" on this account.`);
  return json(200, queryView(txn, deps.clock.now()));
}

async function resume(event: HttpEvent, deps: QueryDeps) {
  // The key must be active before the query is read: a revoked key learns nothing about it.
  // (The charge checks it again in its own condition, so a revocation in between still wins.)
  const { owner } = await requireClientAccount(event);
  const queryId = pathParam(event, 'queryId', QUERY_ID);
  const now = deps.clock.now();
  const start = await resumeCharge(owner.accountId, owner.keyId, queryId, now);
  if (start.kind === 'insufficient') {
    return refusalAnswer(event, start, now, false);
  }
  const { txn } = start;
  return runCharged(txn, () => deps.service.run(txn.operation ?? '', txn.input), deps.clock);
}

/** `expired` is derived: a parked query past its resume window. */
export function queryView(txn: TxnItem, now: Date) {
  const expired = txn.status === 'parked' && txn.resumableUntil !== undefined && txn.resumableUntil <= now.toISOString();
  return {
    id: txn.id,
    operation: txn.operation,
    status: expired ? 'expired' : txn.status,
    price: txn.credits,
    charged: txn.status === 'completed' || txn.status === 'running' ? txn.credits : 0,
    createdAt: txn.createdAt,
    updatedAt: txn.updatedAt,
    expiresAt: txn.status === 'parked' ? txn.resumableUntil : undefined,
    result: txn.status === 'completed' ? resultOf(txn) : undefined,
  };
}

/** A completed query's result is kept once, inside the answer it got. */
function resultOf(txn: TxnItem): unknown {
  return txn.response ? (JSON.parse(storedBody(txn.response)) as { result?: unknown }).result : undefined;
}
