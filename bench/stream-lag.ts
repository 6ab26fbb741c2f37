import { type DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/** What the stream-lag measurement needs from the bench: the load, the table and the local consumer. */
export interface StreamLagDeps {
  client: DynamoDBClient;
  tableName: string;
  /** One metered request for this account's customer. */
  send: (accountIndex: number, key: string) => Promise<{ status: number }>;
  startConsumer: () => void;
  stopConsumer: () => Promise<void>;
  /** Resolves once the running consumer finds nothing left to read. */
  drainConsumer: () => Promise<void>;
  log: (line: string) => void;
}

export interface StreamLagResult {
  accounts: number;
  clients: number;
  loadSeconds: number;
  requestsPerSecond: number;
  /** From the end of the load until every account's newest ledger entry shows its balance. */
  catchUpSeconds: number;
  /** Ledger entries projected per second while working off a backlog (consumer paused during a load, then started). */
  drainPerSecond: number;
  drainBacklogEntries: number;
}

const CLIENTS = 16;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The account's balance and change count, and the newest ledger entry's sequence and balance. */
async function projection(deps: StreamLagDeps, accountId: string) {
  const pk = `ACCOUNT#${accountId}`;
  const { Item } = await deps.client.send(
    new GetItemCommand({ TableName: deps.tableName, Key: marshall({ pk, sk: 'ACCOUNT' }), ConsistentRead: true, ProjectionExpression: 'balance, seq' }),
  );
  const { Items = [] } = await deps.client.send(
    new QueryCommand({
      TableName: deps.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)',
      ExpressionAttributeValues: marshall({ ':pk': pk, ':ledger': 'LEDGER#' }),
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const account = unmarshall(Item ?? {});
  const newest = Items[0] ? unmarshall(Items[0]) : undefined;
  return {
    seq: account.seq as number,
    balance: account.balance as number,
    ledgerSeq: (newest?.seq as number) ?? 0,
    ledgerBalance: newest?.balanceAfter as number,
  };
}

async function caughtUp(deps: StreamLagDeps, accountIds: readonly string[]): Promise<boolean> {
  const states = await Promise.all(accountIds.map((id) => projection(deps, id)));
  return states.every((s) => s.ledgerSeq === s.seq && s.ledgerBalance === s.balance);
}

async function waitForCatchUp(deps: StreamLagDeps, accountIds: readonly string[], limitSeconds: number): Promise<number> {
  const started = performance.now();
  while (!(await caughtUp(deps, accountIds))) {
    if (performance.now() - started > limitSeconds * 1000) throw new Error(`the ledger did not catch up within ${limitSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return (performance.now() - started) / 1000;
}

/** CLIENTS callers sending metered requests across `accounts` for `seconds`. */
async function load(deps: StreamLagDeps, accounts: number, seconds: number, tag: string): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let sent = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const i = sent++;
        const reply = await deps.send(i % accounts, `lag-${tag}-${i}`);
        if (reply.status !== 200) failed++;
      }
    }),
  );
  if (failed > 0) deps.log(`  ${failed} of ${sent} requests were not 200`);
  return sent;
}

/**
 * Stream lag under sustained load: the consumer runs during a `seconds`-long load, then the time
 * until every account's ledger shows its balance is the catch-up. The drain rate is measured
 * apart: the consumer is paused during a shorter load, then started on the backlog.
 */
export async function measureStreamLag(deps: StreamLagDeps, accountIds: readonly string[], seconds: number): Promise<StreamLagResult> {
  const accounts = accountIds.length;
  deps.log(`Stream lag: ${CLIENTS} clients on ${accounts} account(s) for ${seconds} s, consumer running…`);
  const started = performance.now();
  const sent = await load(deps, accounts, seconds, `${accounts}-run`);
  const requestsPerSecond = sent / ((performance.now() - started) / 1000);
  const catchUpSeconds = await waitForCatchUp(deps, accountIds, 600);

  const drainLoadSeconds = Math.max(5, Math.round(seconds / 6));
  deps.log(`Stream drain: consumer paused during ${drainLoadSeconds} s of load, then started on the backlog…`);
  await deps.stopConsumer();
  await load(deps, accounts, drainLoadSeconds, `${accounts}-drain`);
  const before = await Promise.all(accountIds.map((id) => projection(deps, id)));
  const backlog = before.reduce((sum, s) => sum + (s.seq - s.ledgerSeq), 0);
  // Timed by the consumer running out of records, not by polling every account's ledger meanwhile
  // (64 accounts' polls would compete with the consumer for DynamoDB Local); then checked.
  const drainStarted = performance.now();
  deps.startConsumer();
  await deps.drainConsumer();
  await waitForCatchUp(deps, accountIds, 600);
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  return {
    accounts,
    clients: CLIENTS,
    loadSeconds: seconds,
    requestsPerSecond: round(requestsPerSecond, 0),
    catchUpSeconds: round(catchUpSeconds, 2),
    drainPerSecond: round(backlog / drainSeconds, 0),
    drainBacklogEntries: backlog,
  };
}
