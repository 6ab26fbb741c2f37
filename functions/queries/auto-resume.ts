import type { AccountItem } from '../accounts/model.ts';
import { type AlertDeps, sendResumedEmail } from '../alerts/notify.ts';
import { resumeCharge } from '../metering/charges.ts';
import { runCharged } from '../metering/metered-call.ts';
import type { TxnItem } from '../metering/txn.ts';
import type { Clock } from '../shared/clock.ts';
import { queryItems } from '../shared/dynamodb.ts';
import { TollgateError } from '../shared/errors.ts';
import { keys, SPREAD_TXN_PARTITIONS } from '../table/keys.ts';
import type { MeteredService } from './service.ts';

/**
 * The account's queries still waiting for credits, oldest first: on the account's key, and for a
 * sharded account also on the 64 keys its key-less refusals are spread over.
 */
async function parkedQueries(account: Pick<AccountItem, 'id' | 'shardSlots'>, now: Date): Promise<TxnItem[]> {
  const partitions = [keys.account(account.id).pk];
  if (account.shardSlots) partitions.push(...Array.from({ length: SPREAD_TXN_PARTITIONS }, (_, bucket) => keys.spreadTxnPartition(account.id, bucket)));
  const parked = (await Promise.all(partitions.map((pk) => parkedOn(pk, now)))).flat();
  return parked.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

async function parkedOn(pk: string, now: Date): Promise<TxnItem[]> {
  const parked: TxnItem[] = [];
  const txns = queryItems<TxnItem>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :txn)',
    FilterExpression: '#status = :parked AND kind = :query AND resumableUntil > :now',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': pk, ':txn': 'TXN#', ':parked': 'parked', ':query': 'query', ':now': now.toISOString() },
  });
  for await (const txn of txns) parked.push(txn);
  return parked;
}

/**
 * After a top-up, for accounts that asked for it: runs parked queries oldest first while the
 * balance covers them, each exactly once (the same resume as the API's), and tells the customer
 * which ran. A query someone resumed meanwhile is simply skipped.
 */
export async function autoResume(account: AccountItem, service: MeteredService, deps: AlertDeps): Promise<void> {
  const resumed: ResumedQuery[] = [];
  for (const parked of await parkedQueries(account, deps.clock.now())) {
    const ran = await resumeParked(account.id, parked.id, service, deps.clock);
    if (ran === 'insufficient') break;
    if (ran) resumed.push(ran);
  }
  if (resumed.length > 0) await sendResumedEmail(account, resumed, deps);
}

export interface ResumedQuery {
  operation: string;
  credits: number;
  ok: boolean;
}

/**
 * Runs one parked query through the exactly-once resume the API uses: `insufficient` when the
 * balance does not cover it, undefined when it is no longer waiting (resumed by someone else,
 * already done, or expired).
 */
export async function resumeParked(
  accountId: string,
  queryId: string,
  service: MeteredService,
  clock: Clock,
): Promise<ResumedQuery | 'insufficient' | undefined> {
  let start: Awaited<ReturnType<typeof resumeCharge>>;
  try {
    start = await resumeCharge(accountId, undefined, queryId, clock.now());
  } catch (error) {
    if (error instanceof TollgateError) return undefined;
    throw error;
  }
  if (start.kind === 'insufficient') return 'insufficient';
  const { txn } = start;
  const answer = await runCharged(txn, () => service.run(txn.operation ?? '', txn.input), clock);
  return { operation: txn.operation ?? 'query', credits: txn.credits, ok: answer.statusCode === 200 };
}
