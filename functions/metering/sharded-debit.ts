import { randomInt } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountItem } from '../accounts/model.ts';
import { singleAttemptClient, tableName, throttlePatient } from '../shared/dynamodb.ts';
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import { keys } from '../table/keys.ts';
import { type BalanceChangeRequest, type BalanceDebitOutcome, changeBalanceAlone } from './balance-store.ts';
import {
  closeShards,
  collectShards,
  MAX_SHARDS,
  openShards,
  readSharded,
  readTotalAfter,
  releaseShardChangeLease,
  type ShardedView,
  type ShardItem,
  spreadReserve,
  takeShardChangeLease,
  totalOf,
  withTotal,
} from './shard-store.ts';

type DebitRequest = Omit<BalanceChangeRequest, 'txn'>;

/** Rounds of looking for credits (another sub-balance, the reserve, a gathering) before a 503. */
const MAX_ROUNDS = 16;
/** A debit's `Credits-Remaining` on a sharded account comes from a snapshot of the total at most this old. */
const TOTAL_SNAPSHOT_MS = 1000;

/** Per container: how many sub-balances each sharded account has, as last learned (a stale count is corrected by the refusal it causes). */
const routing = new Map<string, number>();
/** Per container: how many sub-balance items each account has, as last read (only grows; a read finding more reads again). */
const slotsSeen = new Map<string, number>();
/** Per container: the account's total as last read, for the answers' `Credits-Remaining`. */
const snapshots = new Map<string, { view: ShardedView; at: number }>();

/**
 * A key-less debit: one conditional `UpdateItem` on the account item, or, when the account is
 * sharded, on one of its sub-balances. The account item's refusal says it is sharded (the
 * condition `attribute_not_exists(shards)`), and the container routes there from then on.
 */
export async function debitAnywhere(request: DebitRequest): Promise<BalanceDebitOutcome> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const shards = routing.get(request.accountId);
    const outcome = shards
      ? await debitSharded(request, shards)
      : await changeBalanceAlone({ ...request, unsharded: true, shardsLearned: () => routing.get(request.accountId) });
    // A routed debit's refusal was decided on the total already; the account item's own refusal was not.
    if (!shards && outcome.kind === 'insufficient' && outcome.account.shardSlots) {
      // Sharding is being switched off: sub-balances may still hold credits the account item does not have yet.
      const decided = await refuseOrGather(request, outcome.account.shardSlots);
      if (decided) return decided;
      continue;
    }
    if (outcome.kind !== 'sharded') return outcome;
    if (outcome.shards > 1) routing.set(request.accountId, outcome.shards);
    else routing.delete(request.accountId);
  }
  throw new ServiceUnavailableError('The account is changing how its credits are kept. Retry in a moment.');
}

/**
 * The account item alone is short, but the account has sub-balances: a consistent snapshot decides.
 * The refusal when the total is short; otherwise the sub-balances are gathered (or the account is
 * routed to them again) and undefined says "try again".
 */
async function refuseOrGather(request: DebitRequest, slots: number): Promise<BalanceDebitOutcome | undefined> {
  const snapshot = await readSharded(request.accountId, true, slots);
  if (!snapshot) return { kind: 'account-missing' };
  if (totalOf(snapshot) < -request.change.credits) return { kind: 'insufficient', account: withTotal(snapshot) };
  if (snapshot.home.shards) routing.set(request.accountId, snapshot.home.shards);
  else await collectShards(snapshot, new Date(request.change.at));
  return undefined;
}

/**
 * Takes the price from one sub-balance (picked at random) with one conditional write. When that
 * one is short it looks for credits: the reserve on the account item is spread, another
 * sub-balance that covers the price is debited; only when none does is a consistent snapshot of
 * all of them read, and then either the account as a whole is short (the one case of a 402) or
 * every sub-balance is gathered on the account item, exactly, and the price taken from there.
 * `{ kind: 'sharded', shards: 1 }` means the account is no longer sharded.
 */
async function debitSharded(request: DebitRequest, shardCount: number): Promise<BalanceDebitOutcome> {
  const price = -request.change.credits;
  const at = new Date(request.change.at);
  let shards = shardCount;
  let shard = randomInt(shards);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const debit = await debitShard(request, shard);
    if (debit.kind === 'applied') return { kind: 'applied', account: await answerAccount(request.accountId, debit.shard), spread: true };
    if (debit.kind === 'key-inactive') return debit;
    // The slots known from the last look save a read of the account item, the one key every caller shares.
    const seen = await readSharded(request.accountId, false, slotsSeen.get(request.accountId));
    if (!seen) return { kind: 'account-missing' };
    if (!seen.home.shards) return { kind: 'sharded', shards: 1 };
    if (seen.home.shardSlots) slotsSeen.set(request.accountId, seen.home.shardSlots);
    if (seen.home.shards !== shards) {
      shards = seen.home.shards;
      routing.set(request.accountId, shards);
      shard = randomInt(shards);
      continue;
    }
    if (seen.home.balance >= price) {
      await spreadReserve(seen, at);
      continue;
    }
    const covering = seen.shards.filter((candidate) => candidate.open && candidate.shard < shards && candidate.balance >= price);
    if (covering.length > 0) {
      shard = covering[randomInt(covering.length)]!.shard;
      continue;
    }
    const snapshot = await readTotalAfter(seen.home);
    if (!snapshot) return { kind: 'account-missing' };
    if (totalOf(snapshot) < price) {
      if (request.activeKeyId && !snapshot.home.keys?.[request.activeKeyId]) return { kind: 'key-inactive' };
      return { kind: 'insufficient', account: withTotal(snapshot) };
    }
    if (!(await collectShards(snapshot, at))) continue;
    const fromReserve = await changeBalanceAlone(request);
    // Taken from the account item (its record stays on the account's key); the answer still shows the total.
    if (fromReserve.kind === 'applied') return { kind: 'applied', account: await answerAccount(request.accountId, fromReserve.account) };
    if (fromReserve.kind !== 'insufficient') return fromReserve;
  }
  throw new ServiceUnavailableError('The account is too busy to find its credits right now. Retry in a moment.');
}

type ShardDebit = { kind: 'applied'; shard: ShardItem } | { kind: 'short' } | { kind: 'key-inactive' };

/** The one conditional write of a sharded debit; sent once, like the key-less debit (a retry after a lost answer would debit twice). */
async function debitShard(request: DebitRequest, shard: number): Promise<ShardDebit> {
  const conditions = ['#open = :open', 'balance >= :price'];
  const names: Record<string, string> = { '#open': 'open' };
  if (request.activeKeyId) {
    conditions.push('attribute_exists(#keys.#kid)');
    names['#keys'] = 'keys';
    names['#kid'] = request.activeKeyId;
  }
  const update = new UpdateCommand({
    TableName: tableName(),
    Key: keys.balanceShard(request.accountId, shard),
    UpdateExpression: 'SET balance = balance - :price, seq = seq + :one, lastChange = :change, updatedAt = :at',
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ':open': true, ':price': -request.change.credits, ':one': 1, ':change': request.change, ':at': request.change.at },
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  try {
    // Sent again only while throttled (refused unapplied); a lost answer stays lost (the sweeper refunds it).
    const { Attributes } = await throttlePatient(() => singleAttemptClient().send(update));
    return { kind: 'applied', shard: Attributes as ShardItem };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // A closed sub-balance (a count change under way, or one changed back since) is looked past like a short one;
    // only an open one's key set is current.
    const open = (error.Item?.open as { BOOL?: boolean } | undefined)?.BOOL;
    const activeKeys = error.Item?.keys as { M?: Record<string, unknown> } | undefined;
    if (open && request.activeKeyId && !activeKeys?.M?.[request.activeKeyId]) return { kind: 'key-inactive' };
    return { kind: 'short' };
  }
}

/**
 * The account a sharded debit answers with: the account item as last read, its balance the total
 * of a snapshot at most `TOTAL_SNAPSHOT_MS` old (reading all sub-balances on every debit would
 * put every debit's reads on every sub-balance's partition). Exact totals: `GET` balance, the 402.
 */
async function answerAccount(accountId: string, debited: Pick<ShardItem, 'balance'>): Promise<AccountItem> {
  let cached = snapshots.get(accountId);
  if (!cached || performance.now() - cached.at > TOTAL_SNAPSHOT_MS) {
    const view = await readSharded(accountId, false);
    if (view) {
      cached = { view, at: performance.now() };
      snapshots.set(accountId, cached);
    }
  }
  if (!cached) return { balance: debited.balance } as AccountItem;
  return withTotal(cached.view);
}

/** A shard change holds the account's lease at most this long; one that crashed frees it by running out. */
const SHARD_CHANGE_LEASE_MS = 15_000;
/** How long a shard change waits for another one in progress before answering 409. */
const SHARD_CHANGE_WAIT_MS = 10_000;

/**
 * Changes how many sub-balances an account keeps (1 = not sharded), online: new sub-balances are
 * opened (with the account's keys) together with the new count; sub-balances no longer used are
 * closed with their credits moved to the account item in one exact transaction, conditioned on
 * the balances read, so a debit landing meanwhile makes it read again, never lost or doubled;
 * then the reserve is spread over the open ones. Changes of one account run one at a time (the
 * account's `shardChange` lease): a second waits for the first, then applies its own count.
 */
export async function setShardCount(accountId: string, n: number, now: () => Date): Promise<AccountItem> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS) throw new ValidationError(`body.shards: must be an integer from 1 to ${MAX_SHARDS}.`);
  const leaseId = randomId('shardchg');
  await waitForLease(accountId, leaseId, now);
  try {
    for (let attempt = 0; attempt < MAX_ROUNDS; attempt++) {
      const step = await shardCountStep(accountId, n, leaseId, now);
      if (step === 'lease-lost') break;
      if (step !== 'again') return step;
    }
  } finally {
    await releaseShardChangeLease(accountId, leaseId);
  }
  throw new ServiceUnavailableError('The account changed too often while its sub-balances were being set. Retry in a moment.');
}

/** Takes the account's shard-change lease, waiting (with jittered backoff) while another change holds it. */
async function waitForLease(accountId: string, leaseId: string, now: () => Date): Promise<void> {
  const giveUpAt = performance.now() + SHARD_CHANGE_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    const lease = await takeShardChangeLease(accountId, leaseId, now(), new Date(now().getTime() + SHARD_CHANGE_LEASE_MS));
    if (lease === 'taken') return;
    if (lease === 'missing') throw new NotFoundError(`There is no account "${accountId}".`);
    if (performance.now() >= giveUpAt) {
      throw new ConflictError('Another change of this account’s sub-balances is in progress. Retry when it has finished.', { 'Retry-After': '1' });
    }
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * Math.min(500, 20 * 2 ** attempt)));
  }
}

/** One pass of a shard change under its lease: the account when done; `again` when a debit raced it. */
async function shardCountStep(accountId: string, n: number, leaseId: string, now: () => Date): Promise<AccountItem | 'again' | 'lease-lost'> {
  const view = await readShardedOrThrow(accountId);
  if (view.home.shardChange?.id !== leaseId) return 'lease-lost';
  if ((view.home.shards ?? 1) !== n && !(await openShards(view.home, n, now(), leaseId))) return 'again';
  const current = await readShardedOrThrow(accountId);
  const unused = (shard: ShardItem) => n < 2 || shard.shard >= n;
  // Closed first, so no debit changes them; then their credits move to the account item, exactly.
  const closing = current.shards.filter((shard) => unused(shard) && shard.open).map((shard) => shard.shard);
  if (!(await closeShards(accountId, closing, now(), leaseId))) return 'again';
  const closed = await readShardedOrThrow(accountId);
  if (!(await collectShards({ home: closed.home, shards: closed.shards.filter(unused) }, now(), leaseId))) return 'again';
  const settled = await readShardedOrThrow(accountId);
  if (n > 1 && settled.home.balance > 0 && !(await spreadReserve(settled, now(), leaseId))) return 'again';
  if (n > 1) routing.set(accountId, n);
  else routing.delete(accountId);
  return withTotal(await readShardedOrThrow(accountId));
}

async function readShardedOrThrow(accountId: string): Promise<ShardedView> {
  const view = await readSharded(accountId, true);
  if (!view) throw new NotFoundError(`There is no account "${accountId}".`);
  return view;
}

/** After credits land on a sharded account's item (a top-up, a grant), spreads them to its sub-balances. Best effort: unspread credits still count and are found by debits. */
export async function spreadAfterCredit(accountId: string, at: Date): Promise<void> {
  const view = await readSharded(accountId, true);
  if (view?.home.shards && view.home.balance > 0) await spreadReserve(view, at);
}

/**
 * Before a change computed from the exact balance (a renewal's expiry): moves every sub-balance's
 * credits to the account item, so that item holds the total and the change can be conditioned on it.
 * Whether the account has sub-balances at all, as read.
 */
export async function gatherShards(accountId: string, at: Date): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ROUNDS; attempt++) {
    const view = await readSharded(accountId, true);
    if (!view?.home.shardSlots) return false;
    if (view.shards.every((shard) => shard.balance === 0) || (await collectShards(view, at))) return true;
  }
  return true;
}
