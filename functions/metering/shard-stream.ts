import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { AccountItem } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { type AlertDeps, alertOnBalanceChange } from '../alerts/notify.ts';
import { logger } from '../shared/logger.ts';
import { keys } from '../table/keys.ts';
import type { LedgerEntry } from './ledger.ts';
import { ledgerEntryFor } from './ledger-projection.ts';
import type { BatchPut } from './ledger-store.ts';
import type { ShardItem } from './shard-store.ts';

const imageOf = <T>(image: object | undefined): T | undefined => (image ? (unmarshall(image as Record<string, AttributeValue>) as T) : undefined);

/** A sub-balance's changes in one batch: their ledger entries, and the records they came from. */
interface ShardRun {
  accountId: string;
  shard: number;
  entries: LedgerEntry[];
  records: DynamoDBRecord[];
}

/** What a batch means for sharded accounts: each sub-balance's ledger entries, and the non-transfer credits per account. Pure. */
export function planShardedBatch(records: readonly DynamoDBRecord[]): { runs: ShardRun[]; moved: Map<string, { credits: number; records: DynamoDBRecord[] }> } {
  const runs = new Map<string, ShardRun>();
  const moved = new Map<string, { credits: number; records: DynamoDBRecord[] }>();
  for (const record of records) {
    const image = imageOf<Record<string, unknown>>(record.dynamodb?.NewImage);
    const sharded = image?.entity === 'shard' || (image?.entity === 'account' && image.shardSlots !== undefined);
    if (!image || !sharded) continue;
    const old = imageOf<Record<string, unknown>>(record.dynamodb?.OldImage);
    const entry = ledgerEntryFor(old as Partial<AccountItem> | undefined, image as Partial<AccountItem>);
    const accountId = String(image.entity === 'shard' ? image.accountId : image.id);
    const account = moved.get(accountId) ?? { credits: 0, records: [] };
    moved.set(accountId, account);
    account.records.push(record);
    if (entry && entry.type !== 'transfer') account.credits += entry.credits;
    if (image.entity !== 'shard' || !entry) continue;
    const shard = (image as unknown as ShardItem).shard;
    const key = `${accountId}#${shard}`;
    const run = runs.get(key) ?? { accountId, shard, entries: [], records: [] };
    runs.set(key, run);
    run.entries.push(entry);
    run.records.push(record);
  }
  return { runs: [...runs.values()], moved };
}

/**
 * The stream consumer's step for sharded accounts, once per batch: every sub-balance change is
 * projected into that sub-balance's ledger (on its own partition key, keyed by its sequence, so
 * redelivery rewrites the same items; key-less debits keep `pendingTxn` for the sweeper), and
 * thresholds are judged on the exact total, read once per account per batch: from the total
 * before the batch's changes (the total now less their credits; transfers sum to zero) to now.
 * Returns the records to retry.
 */
export async function applyShardedBatch(records: readonly DynamoDBRecord[], put: BatchPut, deps: AlertDeps, alertsOn: boolean): Promise<DynamoDBRecord[]> {
  const { runs, moved } = planShardedBatch(records);
  const failed: DynamoDBRecord[] = [];
  const now = deps.clock.now().toISOString();
  await Promise.all(
    runs.map(async (run) => {
      const items = run.entries.map((entry) => ({
        PutRequest: {
          Item: {
            ...keys.shardLedgerEntry(run.accountId, run.shard, entry.seq),
            entity: 'ledger',
            accountId: run.accountId,
            shard: run.shard,
            ...entry,
            ...(entry.pendingTxn ? { projectedAt: now } : {}),
          },
        },
      }));
      await put(items).catch((error: unknown) => {
        logger.error('sub-balance ledger entries failed; they will be retried', { error, accountId: run.accountId });
        failed.push(run.records[0]!);
      });
    }),
  );
  if (!alertsOn) return failed;
  for (const [accountId, change] of moved) {
    if (change.credits >= 0) continue;
    try {
      const after = await findAccount(accountId);
      if (after) await alertOnBalanceChange({ ...after, balance: after.balance - change.credits } as AccountItem, after, deps);
    } catch (error) {
      logger.error('threshold check of a sharded account failed; it will be retried', { error, accountId });
      failed.push(change.records[0]!);
    }
  }
  return failed;
}
