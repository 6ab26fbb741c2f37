import { requireAdmin } from '../accounts/auth.ts';
import { ACCOUNT_ID, balanceOf, EXTERNAL_ID, EXTERNAL_ID_MESSAGE } from '../accounts/model.ts';
import { findAccountIdByExternalId, getAccount } from '../accounts/store.ts';
import type { RouteMap } from '../http/handler.ts';
import { fields, idempotencyKey, parseBody, parseQuery, pathParam } from '../http/request.ts';
import { json } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { refusalAnswer } from '../recovery/refusal.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { derivedId } from '../shared/ids.ts';
import { countMetric } from '../shared/metrics.ts';
import * as z from '../shared/schema.ts';
import { MAX_BALANCE } from './balance-store.ts';
import { startCharge } from './charges.ts';
import { ledgerEntryView } from './ledger.ts';
import { decodeMergedCursor, encodeMergedCursor, ledgerPage, MERGED_CURSOR, mergedLedgerPage } from './ledger-store.ts';
import { balanceAfterCharge, replayed, settleSuccess, stored } from './metered-call.ts';
import type { Debit } from './openapi.ts';
import { creditTopUp } from './top-up.ts';
import { replayTopUp, topUpAnswer } from './top-up-replay.ts';
import { saveResponse } from './txn-store.ts';

export interface MeteringDeps {
  clock: Clock;
}

export const topUpBody = z.builtOnFirstUse(() => z.strictObject({ credits: fields.credits, reference: z.optional(fields.text(200)) }));
export const debitBody = z.builtOnFirstUse(() => z.strictObject({ credits: fields.credits, operation: fields.operation }));
/** The same debit, for a backend that knows its customers by its own id (the account's `externalId`). */
export const externalDebitBody = z.builtOnFirstUse(() =>
  z.strictObject({
    externalId: z.string({ error: EXTERNAL_ID_MESSAGE }).check(z.regex(EXTERNAL_ID, EXTERNAL_ID_MESSAGE)),
    credits: fields.credits,
    operation: fields.operation,
  }),
);
/** An account item's ledger is paged by sequence; a sharded account's merged ledger by `MERGED_CURSOR`. */
const LEDGER_CURSOR = new RegExp(`^[1-9][0-9]{0,11}$|${MERGED_CURSOR.source}`);
export const ledgerQuery = z.builtOnFirstUse(() =>
  z.strictObject({
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
    cursor: z.optional(z.string().check(z.regex(LEDGER_CURSOR, 'must be a cursor returned as nextCursor'))),
  }),
);

/** Admin routes that move or show credits: top-ups, debits for non-Lambda backends, the ledger. */
export function meteringRoutes(deps: MeteringDeps): RouteMap {
  return {
    'POST /v1/accounts/{accountId}/top-ups': (event) => topUp(event, deps),
    'POST /v1/accounts/{accountId}/debits': async (event) => {
      await requireAdmin(event);
      const accountId = pathParam(event, 'accountId', ACCOUNT_ID);
      const key = idempotencyKey(event, true);
      const { value, hash } = parseBody(event, debitBody());
      return debit(event, { accountId, key, hash, ...value }, deps);
    },
    'POST /v1/debits': async (event) => {
      await requireAdmin(event);
      const key = idempotencyKey(event, true);
      const { value, hash } = parseBody(event, externalDebitBody());
      const accountId = await findAccountIdByExternalId(value.externalId);
      if (!accountId) throw new NotFoundError(`There is no account with externalId "${value.externalId}".`);
      return debit(event, { accountId, key, hash, operation: value.operation, credits: value.credits }, deps);
    },
    'GET /v1/accounts/{accountId}/ledger': (event) => ledger(event),
  };
}

async function topUp(event: HttpEvent, deps: MeteringDeps): Promise<HttpResult> {
  await requireAdmin(event);
  const accountId = pathParam(event, 'accountId', ACCOUNT_ID);
  const key = idempotencyKey(event, true);
  const { value, hash } = parseBody(event, topUpBody());
  const now = deps.clock.now();
  const outcome = await creditTopUp({
    accountId,
    txnId: derivedId('tu', accountId, key),
    credits: value.credits,
    reference: value.reference,
    requestHash: hash,
    now,
  });
  if (outcome.kind === 'already-credited') return replayTopUp(outcome.existing, hash, now);
  if (outcome.kind === 'account-missing') throw new NotFoundError(`There is no account "${accountId}".`);
  if (outcome.kind === 'over-limit')
    throw new ValidationError(`body.credits: this top-up would take the balance above ${MAX_BALANCE.toLocaleString('en-US')} credits.`);
  const { txn } = outcome;
  countMetric('topUps');
  const account = await getAccount(accountId);
  const response = topUpAnswer(txn, balanceOf(account, deps.clock.now()));
  await saveResponse(txn, stored(response));
  return response;
}

/** A validated admin debit: whose, how much, for what, and its idempotency key and request hash. */
interface DebitRequest {
  accountId: string;
  key: string;
  hash: string;
  operation: string;
  credits: number;
}

async function debit(event: HttpEvent, value: DebitRequest, deps: MeteringDeps): Promise<HttpResult> {
  const { accountId, key, hash } = value;
  const now = deps.clock.now();
  const start = await startCharge({
    accountId,
    kind: 'debit',
    txnId: derivedId('db', accountId, key),
    operation: value.operation,
    credits: value.credits,
    requestHash: hash,
    now,
  });
  if (start.kind === 'replay') return replayed(start.response);
  if (start.kind === 'insufficient') return refusalAnswer(event, start, now);
  return settleSuccess(
    start.txn,
    (balance) => json(201, { id: start.txn.id, credits: value.credits, operation: value.operation, balance } satisfies Debit),
    deps.clock,
    balanceAfterCharge(start.txn, start.account),
  );
}

async function ledger(event: HttpEvent): Promise<HttpResult> {
  await requireAdmin(event);
  const accountId = pathParam(event, 'accountId', ACCOUNT_ID);
  const query = parseQuery(event, ledgerQuery());
  const account = await getAccount(accountId);
  // A sharded account (or one that was) has a ledger per sub-balance besides its own: they are merged into one.
  if (account.shardSlots) {
    if (query.cursor && !MERGED_CURSOR.test(query.cursor)) throw new ValidationError('query.cursor: must be a cursor returned as nextCursor');
    const page = await mergedLedgerPage(accountId, account.shardSlots, query.limit, query.cursor ? decodeMergedCursor(query.cursor) : undefined);
    return json(200, { entries: page.entries.map(ledgerEntryView), nextCursor: page.next ? encodeMergedCursor(page.next) : null });
  }
  if (query.cursor && MERGED_CURSOR.test(query.cursor)) throw new ValidationError('query.cursor: must be a cursor returned as nextCursor');
  const page = await ledgerPage(accountId, query.limit, query.cursor ? Number(query.cursor) : undefined);
  return json(200, { entries: page.entries.map(ledgerEntryView), nextCursor: page.nextBefore === undefined ? null : String(page.nextBefore) });
}
