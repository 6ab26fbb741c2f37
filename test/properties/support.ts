import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'vitest';
import { ADMIN_KEY, type TestApp } from '../support/app.ts';
import { call } from '../support/http.ts';

export interface LedgerView {
  id: string;
  type: 'top_up' | 'debit' | 'refund';
  credits: number;
  balanceAfter: number;
  operation?: string;
  queryId?: string;
}

/** The whole ledger through the public API, paged with a small limit on purpose, oldest first. */
export async function fullLedger(app: TestApp, accountId: string, limit = 7): Promise<LedgerView[]> {
  await app.settle();
  const newestFirst: LedgerView[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token: ADMIN_KEY });
    expect(page.status).toBe(200);
    newestFirst.push(...page.body.entries);
    cursor = page.body.nextCursor;
    if (!cursor) break;
  }
  return newestFirst.reverse();
}

/** The account item as stored (balance and seq), read directly, strongly consistent. */
export async function storedAccount(app: TestApp, accountId: string): Promise<{ balance: number; seq: number }> {
  const { Item } = await app.client.send(
    new GetItemCommand({ TableName: app.tableName, Key: { pk: { S: `ACCOUNT#${accountId}` }, sk: { S: 'ACCOUNT' } }, ConsistentRead: true }),
  );
  if (!Item) throw new Error(`no account item for ${accountId}`);
  const account = unmarshall(Item);
  return { balance: account.balance, seq: account.seq };
}

/**
 * The ledger invariants: one entry per balance change (as many as the account's seq, no gaps, no
 * duplicates across pages), balanceAfter chains from 0 in seq order, never negative, ends at the balance.
 */
export function ledgerProblems(entries: LedgerView[], account: { balance: number; seq: number }): string[] {
  const problems: string[] = [];
  if (entries.length !== account.seq) problems.push(`ledger has ${entries.length} entries but the account has seq ${account.seq}`);
  const ids = new Set<string>();
  let running = 0;
  entries.forEach((entry, i) => {
    if (ids.has(entry.id)) problems.push(`entry id ${entry.id} appears twice (a txn moved credits twice)`);
    ids.add(entry.id);
    running += entry.credits;
    if (entry.balanceAfter !== running) problems.push(`entry ${i} (${entry.id}): balanceAfter ${entry.balanceAfter}, chain gives ${running}`);
    if (entry.balanceAfter < 0) problems.push(`entry ${i} (${entry.id}): negative balance ${entry.balanceAfter}`);
  });
  if (running !== account.balance) problems.push(`ledger sums to ${running}, balance is ${account.balance}`);
  const debitsPerQuery = new Map<string, number>();
  for (const entry of entries) {
    if (entry.queryId) debitsPerQuery.set(entry.queryId, (debitsPerQuery.get(entry.queryId) ?? 0) + (entry.type === 'debit' ? 1 : 0));
  }
  for (const [queryId, count] of debitsPerQuery) if (count > 1) problems.push(`query ${queryId} debited ${count} times`);
  return problems;
}
