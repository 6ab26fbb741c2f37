import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AccountItem } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { type AlertDeps, alertOnBalanceChange, alertOnRefusal } from '../alerts/notify.ts';
import { sesSender } from '../alerts/ses-sender.ts';
import { recordFunnel } from '../funnel/record.ts';
import { type BatchPut, putLedgerEntries, sharedBatchPut } from '../metering/ledger-store.ts';
import { applyShardedBatch } from '../metering/shard-stream.ts';
import { becameRefused, type TxnItem } from '../metering/txn.ts';
import { priceBook } from '../pricing/configured.ts';
import { autoResume } from '../queries/auto-resume.ts';
import { catalogService } from '../queries/service.ts';
import { recordDepletionStart, recordRecovery } from '../recovery/depletion-stats.ts';
import { systemClock } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { logger, withLogsWritten } from '../shared/logger.ts';
import { enqueueWebhookEvents } from '../webhooks/enqueue.ts';
import { recordLedgerLag } from './lag.ts';
import { type AccountRun, type AccountStep, type AccountWork, balanceAtCrossing, planBatch, type StreamChange } from './plan.ts';

/**
 * Accounts worked on at once in one batch. Accounts started together pool their ledger puts into
 * the same BatchWriteItem calls (40 calls for 1,000 entries, however many accounts), so a higher
 * limit means fewer rounds, not more calls; it still bounds the reads and emails sent at once.
 */
const ACCOUNT_CONCURRENCY = 64;

/** What one batch's steps share: the alert dependencies and the pooled ledger writes. */
interface BatchDeps extends AlertDeps {
  put: BatchPut;
}

/** Off on AWS until an SES identity is configured (`tollgate:sesIdentity`). */
const alertEmailsOn = () => config().ALERT_EMAILS === 'on';

function imageOf<T>(image: object | undefined): T | undefined {
  return image ? (unmarshall(image as Record<string, AttributeValue>) as T) : undefined;
}

/** What a record means to the consumer, decided from its images alone (no call). */
function decode(record: DynamoDBRecord): StreamChange<DynamoDBRecord> {
  const newImage = imageOf<Record<string, unknown>>(record.dynamodb?.NewImage);
  if (newImage?.entity === 'account') {
    return { kind: 'account', record, old: imageOf<AccountItem>(record.dynamodb?.OldImage), account: newImage as unknown as AccountItem };
  }
  if (newImage?.entity === 'txn' && becameRefused(imageOf<TxnItem>(record.dynamodb?.OldImage), newImage as unknown as TxnItem)) {
    return { kind: 'refusal', record, txn: newImage as unknown as TxnItem };
  }
  return { kind: 'nothing', record };
}

/**
 * A run of one account's balance changes: every ledger entry in batched writes (shared with the
 * batch's other accounts) and, at the same time, per episode, the top-up's follow-ups (recovery
 * statistic, auto-resume) and one threshold decision. The emails count the entries being written
 * as read, so a warning waits for neither the ledger nor the write of entries it already knows.
 */
async function applyRun(accountId: string, run: AccountRun<DynamoDBRecord>, deps: BatchDeps): Promise<void> {
  const alertDeps = { ...deps, pendingLedger: run.entries };
  const outcomes = await Promise.allSettled([putLedgerEntries(accountId, run.entries, deps.put, deps.clock.now()), applySegments(run, alertDeps)]);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

async function applySegments(run: AccountRun<DynamoDBRecord>, deps: AlertDeps): Promise<void> {
  for (const segment of run.segments) {
    if (segment.opened) {
      const { old, account } = segment.opened;
      await recordRecovery(account.id, old?.baselineSeq ?? 0, account.lastChange?.at ?? account.updatedAt);
      if (account.autoResume) await autoResume(account, catalogService, deps);
    }
    // Judged at the lowest point the episode's changes reached (a refund later in the batch does not undo a crossing),
    // and told with the balance the crossing change left, as if each change had been judged alone.
    // A sharded account's item holds only its reserve: its thresholds are judged on the total (applyShardedBatch).
    if (alertEmailsOn() && !segment.after.shardSlots)
      await alertOnBalanceChange(segment.before, { ...segment.after, balance: balanceAtCrossing(segment) }, deps);
  }
}

/** A refused query or debit: a depletion sample, and the depletion email. */
async function applyRefusal(txn: TxnItem, deps: AlertDeps): Promise<void> {
  const account = await findAccount(txn.accountId);
  if (!account) return;
  await recordDepletionStart(account, txn.createdAt);
  if (alertEmailsOn()) await alertOnRefusal(txn, account, deps);
}

const applyStep = (accountId: string, step: AccountStep<DynamoDBRecord>, deps: BatchDeps) =>
  step.kind === 'run' ? applyRun(accountId, step, deps) : applyRefusal(step.txn, deps);
const firstRecordOf = (step: AccountStep<DynamoDBRecord>) => (step.kind === 'run' ? step.first : step.record);

/** One account's steps in order; the first that fails stops the account and names the record to retry from. */
async function applyAccount(work: AccountWork<DynamoDBRecord>, deps: BatchDeps): Promise<DynamoDBRecord | undefined> {
  for (const step of work.steps) {
    try {
      await applyStep(work.accountId, step, deps);
    } catch (error) {
      logger.error('stream record failed; it will be retried', { error, accountId: work.accountId });
      return firstRecordOf(step);
    }
  }
  return undefined;
}

/** Runs `task` over `items` with at most `limit` at once. */
async function inParallel<T, U>(items: readonly T[], limit: number, task: (item: T) => Promise<U>): Promise<U[]> {
  const results: U[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The table's stream consumer. A batch is grouped by account: each account's records are
 * handled in their order, different accounts in parallel. Consecutive balance changes of one
 * account become one batched ledger write and one threshold decision per episode, and records
 * that change nothing cost no call. When an account's step fails, its first record is reported
 * in `batchItemFailures`; Lambda retries from the earliest one reported, and every step is
 * idempotent, so what already succeeded is redone without double writes or double emails.
 */
export function createStreamHandler(deps: AlertDeps, ledgerPut: () => BatchPut = sharedBatchPut) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const changes = event.Records.map(decode);
    const work = planBatch(changes);
    const batchDeps = { ...deps, put: ledgerPut() };
    // The ledger and alerts (unsharded accounts, then sub-balances), the funnel and the webhook events are
    // separate projections of the same records: none waits for another, and each reports its own failed records.
    const ledgerAndAlerts = async () => [
      ...(await inParallel(work, ACCOUNT_CONCURRENCY, (account) => applyAccount(account, batchDeps))).filter((record) => record !== undefined),
      ...(await applyShardedBatch(event.Records, batchDeps.put, deps, alertEmailsOn())),
    ];
    const projections = await Promise.all([ledgerAndAlerts(), recordFunnel(event.Records), enqueueWebhookEvents(event.Records, deps.clock)]);
    const failed = projections.flat();
    const accountOf = new Map(changes.map((change) => [change.record, change.kind === 'account' ? change.account.id : undefined]));
    recordLedgerLag(event.Records, (record) => accountOf.get(record), deps.clock.now());
    const position = new Map(event.Records.map((record, index) => [record, index]));
    failed.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })) };
  };
}

export const handler = withLogsWritten(createStreamHandler({ sender: sesSender(), clock: systemClock, pricing: priceBook() }));
