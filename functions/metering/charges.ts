import type { AccountItem } from '../accounts/model.ts';
import { findAccountItem } from '../accounts/store.ts';
import { addHours, epochSeconds } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { REFUSED_UNAPPLIED, THROTTLE_PATIENCE_MS } from '../shared/dynamodb.ts';
import {
  ConflictError,
  GoneError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RequestInProgressError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnknownAccountError,
} from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';
import { type BalanceChangeOutcome, type BalanceDebitOutcome, changeBalance, changeBalanceAlone } from './balance-store.ts';
import { debitAnywhere } from './sharded-debit.ts';
import { changeFor, recordOf, refundFor, type StoredResponse, type TxnItem } from './txn.ts';
import { claimAbandoned, dropRunningTxn, findTxn, putRunningTxn, putUnchargedTxn, refuseRunningTxn } from './txn-store.ts';

/** Txn records outlive the idempotency window and the resume window by this much. */
const RECORD_RETENTION_DAYS = 30;

export interface ChargeRequest {
  accountId: string;
  /** The caller's API key; the charge only applies while it is active. Absent for admin debits and `meter({ account })`. */
  keyId?: string;
  /** The account came from the platform's own auth (`meter({ account })`): a missing one is a 403, not a 404. */
  platformIdentity?: boolean;
  kind: 'query' | 'debit';
  /**
   * No Idempotency-Key: nothing can retry into this charge, so the debit is one `UpdateItem` and
   * the txn record is written when the charge settles (docs/design/debit-protocol.md).
   */
  keyless?: boolean;
  txnId: string;
  operation: string;
  credits: number;
  input?: unknown;
  requestHash: string;
  now: Date;
}

export type ChargeStart =
  /** `account`: the balance item right after the debit, when the debit returned it (not after a transaction or a takeover of a charge already debited). */
  | { kind: 'charged'; txn: TxnItem; account?: AccountItem }
  /** A retry of a request that already has an answer. */
  | { kind: 'replay'; response: StoredResponse }
  /** Refused for credits: nothing charged; queries are parked for resuming. */
  | { kind: 'insufficient'; account: AccountItem; txn: TxnItem };

export function newTxn(request: ChargeRequest): TxnItem {
  const at = request.now.toISOString();
  return {
    id: request.txnId,
    kind: request.kind,
    accountId: request.accountId,
    status: 'running',
    requestHash: request.requestHash,
    credits: request.credits,
    operation: request.operation,
    input: request.input,
    createdAt: at,
    updatedAt: at,
    expiresAtEpoch: epochSeconds(addHours(request.now, RECORD_RETENTION_DAYS * 24)),
  };
}

/**
 * Records the charge and debits its price, or explains why not. A keyed charge (an Idempotency-Key) writes its record
 * first, then debits with one conditional `UpdateItem` whose new image answers `Credits-Remaining`; a key-less one only
 * debits, and its record is written when it settles (docs/design/debit-protocol.md).
 */
export async function startCharge(request: ChargeRequest): Promise<ChargeStart> {
  if (request.keyless) return startKeylessCharge(request);
  const deadline = debitDeadline();
  const txn: TxnItem = { ...newTxn(request), attempt: randomId('at', 9) };
  const existing = await putRunningTxn(txn);
  // The SDK sent the Put again after its answer was lost: the record found is this attempt's own.
  if (existing && existing.attempt !== txn.attempt) return retryOf(request, existing, deadline);
  return debitRecorded(request, txn, deadline);
}

/**
 * When a keyed charge's debit may no longer be sent (`performance.now()` time): half the work timeout after the request
 * began, so a retry that takes an abandoned charge over (after the whole timeout) and finds no debit in the ledger
 * (`chargeTaken`) never races a debit still on its way.
 */
const debitDeadline = () => performance.now() + (config().METERED_WORK_TIMEOUT_SECONDS * 1000) / 2;

/**
 * The debit of a keyed charge whose `running` record is written, sent once (again only while DynamoDB refuses it
 * unapplied, and not after `deadline`). A refusal settles the record: parked or refused for credits, removed for a
 * revoked key or a missing account (nothing happened). A sharded account is debited in one transaction with its record (`debited`),
 * which gathers its sub-balances when the account item is short.
 */
async function debitRecorded(request: ChargeRequest, txn: TxnItem, deadline: number): Promise<ChargeStart> {
  const patienceMs = Math.min(THROTTLE_PATIENCE_MS, deadline - performance.now());
  if (patienceMs <= 0) {
    await settleUndebited(txn);
    throw new ServiceUnavailableError('The charge could not be made in time; nothing was charged. Retry it with the same Idempotency-Key.');
  }
  const change = changeFor(txn, request.now);
  const outcome = await changeBalanceAlone({ accountId: request.accountId, activeKeyId: request.keyId, change, unsharded: true, patienceMs }).catch(
    async (error: unknown) => {
      // Throttled past its patience: refused unapplied, so certainly not debited. Any other failure may have applied.
      if (REFUSED_UNAPPLIED.has((error as Error).name)) await settleUndebited(txn);
      throw error;
    },
  );
  if (outcome.kind === 'sharded' || (outcome.kind === 'insufficient' && outcome.account.shardSlots)) return debitWithRecord(request, txn);
  switch (outcome.kind) {
    case 'applied':
      countMetric('debits');
      return { kind: 'charged', txn, account: outcome.account };
    case 'insufficient':
      return refuseRecorded(request, txn, outcome.account);
    default:
      await settleUndebited(txn);
      throw refusalError(outcome, request);
  }
}

/**
 * The debit and the record's `debited` in one transaction (a sharded account), while the record is still this
 * attempt's: a retry's claim and this transaction exclude each other (each is conditioned on what the other changes).
 */
async function debitWithRecord(request: ChargeRequest, txn: TxnItem): Promise<ChargeStart> {
  const debited: TxnItem = { ...txn, debited: true };
  const outcome = await changeBalance({
    accountId: request.accountId,
    activeKeyId: request.keyId,
    change: changeFor(txn, request.now),
    txn: { transition: { accountId: txn.accountId, txnId: txn.id, from: 'running', seen: txn.updatedAt, set: { debited: true } } },
  });
  switch (outcome.kind) {
    case 'applied':
      countMetric('debits');
      return { kind: 'charged', txn: debited };
    case 'insufficient':
      return refuseRecorded(request, txn, outcome.account);
    case 'txn-conflict':
      throw new RequestInProgressError();
    default:
      await settleUndebited(txn);
      throw refusalError(outcome, request);
  }
}

/** Nothing was charged: the record goes, and a retry starts afresh. If the removal fails, a retry takes the record over after the work timeout, or the sweeper removes it. */
async function settleUndebited(txn: TxnItem): Promise<void> {
  await dropRunningTxn(txn).catch((error: unknown) => logger.warn('a charge that was not debited keeps its running record', { error }));
}

/** The record of a charge refused for credits: a parked query (resumable) or a refused debit. */
async function refuseRecorded(request: ChargeRequest, txn: TxnItem, account: AccountItem): Promise<ChargeStart> {
  const refused = refusedTxn(request, txn);
  // Refused by its own condition after the SDK sent it again (its first answer lost): the record found is this attempt's.
  if (!(await refuseRunningTxn(txn, refused)) && !isOwn(await findTxn(txn.accountId, txn.id), refused)) {
    throw new RequestInProgressError();
  }
  countMetric('insufficientCredits');
  return { kind: 'insufficient', account, txn: refused };
}

/** One conditional `UpdateItem`; its new image answers `Credits-Remaining`. */
async function startKeylessCharge(request: ChargeRequest): Promise<ChargeStart> {
  const txn: TxnItem = { ...newTxn(request), unrecorded: true };
  // One conditional write: on the account item, or on one sub-balance of a sharded account.
  const outcome = await debitAnywhere({ accountId: request.accountId, activeKeyId: request.keyId, change: changeFor(txn, request.now) });
  switch (outcome.kind) {
    case 'applied':
      countMetric('debits');
      return { kind: 'charged', txn: outcome.spread ? { ...txn, spread: true } : txn, account: outcome.account };
    case 'insufficient':
      // On a sharded account the refusal's record stays off the account's key too: an account that ran dry under load refuses as fast as it debited.
      return refuse(request, outcome.account.shards ? { ...recordOf(txn), spread: true } : recordOf(txn), outcome.account);
    default:
      throw refusalError(outcome, request);
  }
}

const isOwn = (found: TxnItem | undefined, written: TxnItem) =>
  found !== undefined && found.attempt === written.attempt && found.status === written.status && found.updatedAt === written.updatedAt;

function refusedTxn(request: ChargeRequest, txn: TxnItem): TxnItem {
  return request.kind === 'query'
    ? { ...txn, status: 'parked', resumableUntil: addHours(request.now, config().PARKED_QUERY_TTL_HOURS).toISOString() }
    : { ...txn, status: 'refused' };
}

async function refuse(request: ChargeRequest, txn: TxnItem, account: AccountItem): Promise<ChargeStart> {
  const refused = refusedTxn(request, txn);
  const existing = await putUnchargedTxn(refused);
  if (existing) return replayOf(request.requestHash, existing);
  countMetric('insufficientCredits');
  return { kind: 'insufficient', account, txn: refused };
}

/**
 * A keyed request whose record exists: a retry, a concurrent duplicate, or the key reused. A revoked key or a
 * missing account gets nothing back, not even a replay; a charge abandoned by its first attempt is taken over.
 */
async function retryOf(request: ChargeRequest, existing: TxnItem, deadline: number): Promise<ChargeStart> {
  const account = await findAccountItem(request.accountId);
  if (!account) throw refusalError({ kind: 'account-missing' }, request);
  if (request.keyId && !account.keys?.[request.keyId]) throw refusalError({ kind: 'key-inactive' }, request);
  return (await takeOver(request, existing, deadline)) ?? replayOf(request.requestHash, existing);
}

/**
 * The retry of a request whose first attempt was abandoned (its invocation died, or DynamoDB failed before the
 * answer was stored) carries on with it: the work runs now and nothing is charged twice. A claim on the txn makes one
 * retry do it. Whether the first attempt's debit was taken is read from the account (`chargeTaken`): if it was, the
 * retry keeps it; if not, the retry debits now.
 */
async function takeOver(request: ChargeRequest, existing: TxnItem, deadline: number): Promise<ChargeStart | undefined> {
  if (existing.status !== 'running' || existing.requestHash !== request.requestHash) return undefined;
  if (Date.parse(existing.updatedAt) > request.now.getTime() - config().METERED_WORK_TIMEOUT_SECONDS * 1000) return undefined;
  // Rare (a first attempt died), so its reads of the ledger load only then.
  const { chargeTaken } = await import('./charge-taken.ts');
  const taken = await chargeTaken(existing);
  if (taken === 'unknown') throw new ConflictError('The first request with this Idempotency-Key is being settled. Retry in a moment.', { 'Retry-After': '2' });
  const claimed = await claimAbandoned(existing, request.now);
  if (!claimed) return undefined;
  return taken === 'taken' ? { kind: 'charged', txn: claimed } : debitRecorded(request, claimed, deadline);
}

/** A txn with this id exists: the same request retried, or the key reused for another request. */
export function replayOf(requestHash: string, existing: TxnItem | undefined): { kind: 'replay'; response: StoredResponse } {
  if (!existing) throw new RequestInProgressError();
  if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
  if (!existing.response)
    throw new ConflictError('The first request with this Idempotency-Key is still being processed. Retry in a moment.', { 'Retry-After': '1' });
  return { kind: 'replay', response: existing.response };
}

function refusalError(outcome: BalanceChangeOutcome | BalanceDebitOutcome, request: Pick<ChargeRequest, 'accountId' | 'keyId' | 'platformIdentity'>): Error {
  if (request.keyId) return new UnauthorizedError('This API key is unknown or has been revoked.');
  if (outcome.kind === 'account-missing' && request.platformIdentity) return new UnknownAccountError(`There is no account "${request.accountId}".`);
  if (outcome.kind === 'account-missing') return new NotFoundError(`There is no account "${request.accountId}".`);
  return new Error(`Unexpected balance change outcome: ${outcome.kind}`);
}

/**
 * Gives the credits of a failed charge back, at most once (the txn moves running → failed).
 * False when the txn had already been settled by someone else (a retry that took it over), or,
 * with `seen`, claimed since it was read with that `updatedAt`.
 */
export async function refundCharge(txn: TxnItem, now: Date, seen?: string): Promise<boolean> {
  const failed = { status: 'failed', updatedAt: now.toISOString() } as const;
  const outcome = await changeBalance({
    accountId: txn.accountId,
    change: refundFor(txn, now),
    // A key-less charge's record is written now; its completion writes it too, so only one of them can.
    txn: txn.unrecorded
      ? { put: { ...recordOf(txn), ...failed } }
      : { transition: { accountId: txn.accountId, txnId: txn.id, spread: txn.spread, from: 'running', set: failed, seen } },
  });
  if (outcome.kind === 'applied') {
    countMetric('refunds');
    return true;
  }
  if (outcome.kind === 'txn-conflict') return false;
  throw new Error(`Refund of ${txn.id} not applied: ${outcome.kind}`);
}

export type ResumeStart = { kind: 'charged'; txn: TxnItem } | { kind: 'insufficient'; account: AccountItem; txn: TxnItem };

/** Charges a parked query and moves it to running, exactly once however many resumes race. */
/** `keyId` is absent when a signed link authorises the resume. */
export async function resumeCharge(accountId: string, keyId: string | undefined, queryId: string, now: Date): Promise<ResumeStart> {
  const parked = await findTxn(accountId, queryId);
  if (parked?.kind !== 'query') throw new NotFoundError(`There is no query "${queryId}" on this account.`);
  assertResumable(parked, now);
  const running: TxnItem = { ...parked, status: 'running', updatedAt: now.toISOString(), debited: true };
  const outcome = await changeBalance({
    accountId,
    activeKeyId: keyId,
    change: changeFor(parked, now),
    txn: {
      transition: {
        accountId,
        txnId: queryId,
        spread: parked.spread,
        from: 'parked',
        resumableAfter: now.toISOString(),
        set: { status: 'running', updatedAt: running.updatedAt, debited: true },
      },
    },
  });
  switch (outcome.kind) {
    case 'applied':
      countMetric('debits');
      return { kind: 'charged', txn: running };
    case 'insufficient':
      countMetric('insufficientCredits');
      return { kind: 'insufficient', account: outcome.account, txn: parked };
    case 'txn-conflict':
      if (outcome.existing) assertResumable(outcome.existing, now);
      throw new ConflictError(`Query "${queryId}" is already being resumed.`);
    default:
      throw refusalError(outcome, { accountId, keyId });
  }
}

function assertResumable(txn: TxnItem, now: Date): void {
  if (txn.status === 'completed') throw new ConflictError(`Query "${txn.id}" has already completed; it runs only once.`);
  if (txn.status === 'running') throw new ConflictError(`Query "${txn.id}" is running now.`);
  if (txn.status === 'failed') throw new ConflictError(`Query "${txn.id}" failed and was refunded; send it again as a new query.`);
  if (txn.status === 'parked' && txn.resumableUntil && txn.resumableUntil <= now.toISOString()) {
    throw new GoneError(`Query "${txn.id}" could be resumed until ${txn.resumableUntil}; send it again as a new query.`);
  }
}
