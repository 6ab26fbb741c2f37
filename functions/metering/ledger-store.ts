import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName } from '../shared/dynamodb.ts';
import { keys, LEDGER_PREFIX } from '../table/keys.ts';
import type { LedgerEntry } from './ledger.ts';

/** Writes a ledger entry. Keyed by the change's sequence number, so a redelivered change rewrites the same entry. */
export async function putLedgerEntry(accountId: string, entry: LedgerEntry): Promise<void> {
  await documentClient().send(
    new PutCommand({ TableName: tableName(), Item: { ...keys.ledgerEntry(accountId, entry.seq), entity: 'ledger', accountId, ...entry } }),
  );
}

export interface LedgerPage {
  entries: LedgerEntry[];
  /** Sequence number to continue below, when there is more. */
  nextBefore?: number;
}

/** Newest first, starting below `before` when given. */
export async function ledgerPage(accountId: string, limit: number, before?: number): Promise<LedgerPage> {
  const { pk } = keys.account(accountId);
  const upper = before === undefined ? `${LEDGER_PREFIX}~` : keys.ledgerEntry(accountId, before - 1).sk;
  const { Items = [] } = await documentClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': LEDGER_PREFIX, ':to': upper },
      ScanIndexForward: false,
      Limit: limit + 1,
      ConsistentRead: true,
    }),
  );
  const entries = Items as LedgerEntry[];
  const page = entries.slice(0, limit);
  const last = page.at(-1);
  return { entries: page, nextBefore: entries.length > limit && last ? last.seq : undefined };
}

/** Every entry at or after `from`, newest first (walks back until older entries appear). */
export async function ledgerSince(accountId: string, from: Date): Promise<LedgerEntry[]> {
  const fromIso = from.toISOString();
  const collected: LedgerEntry[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await ledgerPage(accountId, 500, before);
    for (const entry of page.entries) {
      if (entry.at < fromIso) return collected;
      collected.push(entry);
    }
    if (page.nextBefore === undefined) return collected;
    before = page.nextBefore;
  }
}
