import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { releaseHold } from '../holds/holds.ts';
import type { Clock } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { conditionalWrite, documentClient, scanItems, tableName } from '../shared/dynamodb.ts';
import { logger } from '../shared/logger.ts';
import { keys } from '../table/keys.ts';
import { chargeTaken } from './charge-taken.ts';
import { newTxn } from './charges.ts';
import type { LedgerEntry } from './ledger.ts';
import { refundAbandoned, settleFailure } from './metered-call.ts';
import type { TxnItem } from './txn.ts';
import { dropRunningTxn, findTxn } from './txn-store.ts';

/** Retries get this long to take an abandoned charge over before it is refunded instead. */
export const SWEEP_AFTER_MS = 15 * 60_000;

/**
 * How long a run spends deciding whether abandoned keyed charges were debited (each may read an account's ledger):
 * the rest wait for the next run, so a burst of them on a busy account never keeps the run from finishing (and
 * moving the key-less checkpoint) within its timeout.
 */
const KEYED_DECISIONS_BUDGET_MS = 60_000;

type LedgerItem = LedgerEntry & { entity: 'ledger'; accountId: string; projectedAt: string; shard?: number };
type SweptItem = (TxnItem & { entity: 'txn' }) | LedgerItem;

export interface SweepResult {
  /** Abandoned charges refunded. */
  refunded: number;
  /** Holds past their expiry released. */
  released: number;
  /** Keyed charges abandoned before their debit was taken: their records removed, as if never sent. */
  dropped: number;
}

/**
 * One scan, three kinds of leftovers. Charges whose work was abandoned — the invocation died, or
 * DynamoDB failed before the answer was stored — and that no retry took over are refunded (the
 * same at-most-once transition as any failed work, keeping a "refunded" answer for late retries):
 * keyed charges are found as `running` txn records (one whose debit was never taken is removed);
 * key-less ones, which have no record until they settle, as ledger entries marked `pendingTxn`
 * without a record (docs/design/debit-protocol.md).
 * Holds neither settled nor released by their expiry are released (a settle racing the sweep wins
 * or loses on the hold's own transition, never both). Runs on a schedule.
 */
export async function sweep(clock: Clock): Promise<SweepResult> {
  const now = clock.now();
  const cutoff = new Date(now.getTime() - Math.max(SWEEP_AFTER_MS, config().METERED_WORK_TIMEOUT_SECONDS * 1000)).toISOString();
  const checkedUntil = await keylessCheckpoint();
  const result: SweepResult = { refunded: 0, released: 0, dropped: 0 };
  const leftovers = scanItems<SweptItem>({
    FilterExpression:
      '(entity = :txn AND ((#status = :running AND updatedAt < :cutoff) OR (#status = :held AND holdExpiresAt <= :now))) OR (entity = :ledger AND pendingTxn = :yes AND projectedAt > :checked AND projectedAt <= :cutoff)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':txn': 'txn',
      ':running': 'running',
      ':held': 'held',
      ':now': now.toISOString(),
      ':cutoff': cutoff,
      ':ledger': 'ledger',
      ':yes': true,
      ':checked': checkedUntil,
    },
  });
  let checked = '';
  const keyedUntil = performance.now() + KEYED_DECISIONS_BUDGET_MS;
  for await (const item of leftovers) {
    if (item.entity === 'txn' && item.status === 'held') {
      if ((await releaseHold({ accountId: item.accountId, holdId: item.id, now, by: 'expired' }).catch(settledMeanwhile)).applied) result.released++;
      continue;
    }
    if (item.entity === 'ledger' && item.projectedAt > checked) checked = item.projectedAt;
    if (item.entity === 'txn') {
      if (performance.now() > keyedUntil) continue;
      // Refunded only as read: a retry that claims the charge meanwhile runs its work on it.
      if ((await unsettledKeyed(item, result)) && (await refundAbandoned(item, clock))) result.refunded++;
      continue;
    }
    const txn = await unsettledKeyless(item);
    if (!txn) continue;
    await settleFailure(txn, { error: new Error('abandoned: no answer was recorded and no retry took it over') }, clock);
    result.refunded++;
  }
  // Only after the whole scan: a run that fails midway leaves the checkpoint, and the next one checks the same entries again.
  // It moves to the newest entry checked, not to the cutoff: every entry is older than the cutoff when it is checked, so
  // none written before it can still be on its way, and a clock that runs ahead cannot skip entries.
  if (checked) await moveKeylessCheckpoint(checked);
  if (result.refunded > 0) logger.warn('refunded abandoned charges', { refunded: result.refunded });
  if (result.released > 0) logger.info('released expired holds', { released: result.released });
  if (result.dropped > 0) logger.info('removed the records of keyed charges abandoned before their debit', { dropped: result.dropped });
  return result;
}

/** A hold settled between the scan and its release is no longer the sweep's business. */
function settledMeanwhile(error: unknown): { applied: false } {
  if (error instanceof Error && error.name === 'ConflictError') return { applied: false };
  throw error;
}

/**
 * A running record, when its debit was taken: a keyed charge's record is written before its debit, so one whose
 * invocation died may have none. That one is removed (nothing was charged, and its key is free again); one whose debit
 * the ledger cannot tell yet waits for the next run.
 */
async function unsettledKeyed(txn: TxnItem, result: SweepResult): Promise<TxnItem | undefined> {
  const taken = await chargeTaken(txn);
  if (taken === 'taken') return txn;
  if (taken === 'not-taken' && (await dropRunningTxn(txn))) result.dropped++;
  return undefined;
}

/** The key-less charge a ledger entry stands for, when it never settled (no record was written for it). */
async function unsettledKeyless(entry: LedgerItem): Promise<TxnItem | undefined> {
  if (await findTxn(entry.accountId, entry.id)) return undefined;
  const txn = newTxn({
    accountId: entry.accountId,
    kind: entry.queryId ? 'query' : 'debit',
    txnId: entry.id,
    operation: entry.operation ?? 'unknown',
    credits: -entry.credits,
    // Never replayed (a key-less charge has no key), so there is no request to tell apart.
    requestHash: '',
    now: new Date(entry.at),
  });
  // A sub-balance's entry (it names its shard) stands for a charge whose record is spread.
  return { ...txn, unrecorded: true, ...(entry.shard === undefined ? {} : { spread: true as const }) };
}

async function keylessCheckpoint(): Promise<string> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.sweeperCheckpoint(), ConsistentRead: true }));
  return (Item?.checkedUntil as string | undefined) ?? '';
}

/** Forward only: a slower run that started earlier never moves it back. */
async function moveKeylessCheckpoint(to: string): Promise<void> {
  await conditionalWrite(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.sweeperCheckpoint(), entity: 'sweeper', checkedUntil: to },
      ConditionExpression: 'attribute_not_exists(pk) OR checkedUntil < :to',
      ExpressionAttributeValues: { ':to': to },
    }),
  );
}
