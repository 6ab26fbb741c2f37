import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactGetCommand, TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountItem, BalanceChange } from '../accounts/model.ts';
import { conditionalWrite, documentClient, tableName, throttlePatient } from '../shared/dynamodb.ts';
import { randomId } from '../shared/ids.ts';
import { keys } from '../table/keys.ts';

/** An account is split into at most this many sub-balances (a transaction holds them all and the account item). */
export const MAX_SHARDS = 64;

/** One sub-balance of a sharded account: its own partition key, balance, sequence and copy of the active key ids. */
export interface ShardItem {
  entity: 'shard';
  accountId: string;
  shard: number;
  balance: number;
  seq: number;
  /** Debits take from open sub-balances only; closing one moves its credits to the account item first. */
  open: boolean;
  keys: Record<string, true>;
  lastChange?: BalanceChange;
  updatedAt: string;
}

/** The account item and every sub-balance item it ever opened, read together. */
export interface ShardedView {
  home: AccountItem;
  shards: ShardItem[];
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A condition a write on the account item adds to its own. */
interface ExtraCondition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/**
 * A change of the shard count holds the account's `shardChange` lease for its whole run: two
 * changes interleaving step by step (one opening sub-balances the other is closing) could leave
 * the account routed to closed sub-balances. Every write of a change is conditioned on its lease,
 * so one that outlived its lease (a stalled invocation) changes nothing.
 */
const leaseHeld = (leaseId: string): ExtraCondition => ({
  expression: '#shardChange.#leaseId = :leaseId',
  names: { '#shardChange': 'shardChange', '#leaseId': 'id' },
  values: { ':leaseId': leaseId },
});

/** `taken`; `busy` while another change's lease runs; `missing` when there is no such account. */
export type LeaseOutcome = 'taken' | 'busy' | 'missing';

/** Takes the account's shard-change lease until `until`, unless another change holds it still. */
export async function takeShardChangeLease(accountId: string, leaseId: string, now: Date, until: Date): Promise<LeaseOutcome> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.account(accountId),
        UpdateExpression: 'SET #shardChange = :lease',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#shardChange) OR #shardChange.#until < :now)',
        ExpressionAttributeNames: { '#shardChange': 'shardChange', '#until': 'until' },
        ExpressionAttributeValues: { ':lease': { id: leaseId, until: until.toISOString() }, ':now': now.toISOString() },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return 'taken';
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return error.Item ? 'busy' : 'missing';
  }
}

/** Gives the lease back (only if still this change's: one that ran out may have been taken over). */
export async function releaseShardChangeLease(accountId: string, leaseId: string): Promise<void> {
  const lease = leaseHeld(leaseId);
  await conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.account(accountId),
      UpdateExpression: 'REMOVE #shardChange',
      ConditionExpression: lease.expression,
      ExpressionAttributeNames: lease.names,
      ExpressionAttributeValues: lease.values,
    }),
  );
}

/** The exact total: the account item's reserve plus every sub-balance. Pure. */
export const totalOf = (view: ShardedView): number => view.home.balance + view.shards.reduce((sum, shard) => sum + shard.balance, 0);

/** The account as everyone else sees it: `balance` is the total, `reserve` what the account item holds itself. Pure. */
export const withTotal = (view: ShardedView): AccountItem => ({ ...view.home, balance: totalOf(view), reserve: view.home.balance });

/**
 * How a reserve is spread over `n` sub-balances: as evenly as whole credits allow (the first
 * `reserve mod n` get one more). Pure.
 */
export function spreadShares(reserve: number, n: number): number[] {
  const share = Math.floor(reserve / n);
  const extra = reserve - share * n;
  return Array.from({ length: n }, (_, shard) => share + (shard < extra ? 1 : 0));
}

/**
 * The account item and its sub-balances. `consistent`: one `TransactGetItems`, a serializable
 * snapshot (2 RRU per item), which is what a 402 and the displayed total are decided on;
 * otherwise eventually consistent `GetItem`s sent together (½ RRU per item), enough to find credits.
 */
export async function readSharded(accountId: string, consistent: boolean, knownSlots?: number): Promise<ShardedView | undefined> {
  let slots = knownSlots;
  if (slots === undefined) {
    const account = (await getItem(keys.account(accountId), consistent)) as AccountItem | undefined;
    if (!account) return undefined;
    slots = account.shardSlots ?? 0;
    if (slots === 0) return { home: account, shards: [] };
  }
  const itemKeys = [keys.account(accountId), ...Array.from({ length: slots }, (_, shard) => keys.balanceShard(accountId, shard))];
  const items = consistent ? await transactGet(itemKeys) : await Promise.all(itemKeys.map((Key) => getItem(Key, false)));
  const home = items[0] as AccountItem | undefined;
  if (!home) return undefined;
  // Slots only grow: a snapshot taken while more were opened is read again with all of them.
  if ((home.shardSlots ?? 0) > slots) return readSharded(accountId, consistent, home.shardSlots);
  return { home, shards: items.slice(1).filter((item) => item !== undefined) as unknown as ShardItem[] };
}

/**
 * The account's total as of one moment, for deciding a 402, at about half the read units of the
 * transactional snapshot: every sub-balance read consistently (1 RRU each), then the account item.
 * When the account item's sequence is still `before.seq` (read before them all), nothing credited
 * a sub-balance or changed the reserve meanwhile (every transfer, top-up, refund and settle moves
 * that sequence) and sub-balances could only fall, so the sum is at least the total at the last
 * read: a sum short of a price proves the account short then. Otherwise the transactional snapshot.
 */
export async function readTotalAfter(before: AccountItem): Promise<ShardedView | undefined> {
  const slots = before.shardSlots ?? 0;
  const shards = await Promise.all(Array.from({ length: slots }, (_, shard) => getItem(keys.balanceShard(before.id, shard), true)));
  const home = (await getItem(keys.account(before.id), true)) as AccountItem | undefined;
  if (!home) return undefined;
  if (home.seq !== before.seq || (home.shardSlots ?? 0) !== slots) return readSharded(before.id, true);
  return { home, shards: shards.filter((item) => item !== undefined) as unknown as ShardItem[] };
}

/** One `GetItem` (1 RRU consistent, ½ otherwise; the one read action every function may use), sent again while throttled. */
async function getItem(Key: Record<string, string>, consistent: boolean): Promise<Record<string, unknown> | undefined> {
  const command = new GetCommand({ TableName: tableName(), Key, ConsistentRead: consistent });
  return (await throttlePatient(() => documentClient().send(command))).Item;
}

async function transactGet(itemKeys: Record<string, string>[]): Promise<(Record<string, unknown> | undefined)[]> {
  const command = new TransactGetCommand({ TransactItems: itemKeys.map((Key) => ({ Get: { TableName: tableName(), Key } })) });
  const { Responses } = await throttlePatient(() => documentClient().send(command));
  return (Responses ?? []).map((response) => response.Item);
}

function transfer(credits: number, at: string, id: string): BalanceChange {
  return { id, type: 'transfer', credits, at };
}

/** A credit move on the account item, conditioned on it covering what leaves it. */
function homeMove(accountId: string, credits: number, change: BalanceChange, extra: ExtraCondition[] = []): TransactItem {
  const conditions = ['attribute_exists(pk)', ...(credits < 0 ? ['balance >= :out'] : []), ...extra.map((condition) => condition.expression)];
  const names = Object.assign({}, ...extra.map((condition) => condition.names));
  return {
    Update: {
      TableName: tableName(),
      Key: keys.account(accountId),
      UpdateExpression: 'SET balance = balance + :credits, seq = seq + :one, lastChange = :change, updatedAt = :at',
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
      ExpressionAttributeValues: Object.assign(
        { ':credits': credits, ':one': 1, ':change': change, ':at': change.at },
        credits < 0 ? { ':out': -credits } : {},
        ...extra.map((condition) => condition.values),
      ),
    },
  };
}

/**
 * Moves every sub-balance's credits to the account item in one transaction, each conditioned on
 * the balance read (so a debit in between cancels it, and nothing is counted twice). True when it
 * applied (or there was nothing to move); false when something changed meanwhile (or `leaseId`
 * is no longer the account's shard-change lease).
 */
export async function collectShards(view: ShardedView, at: Date, leaseId?: string): Promise<boolean> {
  const id = randomId('xfer');
  const iso = at.toISOString();
  const full = view.shards.filter((shard) => shard.balance > 0);
  if (full.length === 0) return true;
  const collected = full.reduce((sum, shard) => sum + shard.balance, 0);
  const moves: TransactItem[] = full.map((shard) => ({
    Update: {
      TableName: tableName(),
      Key: keys.balanceShard(shard.accountId, shard.shard),
      UpdateExpression: 'SET balance = :zero, seq = seq + :one, lastChange = :change, updatedAt = :at',
      ConditionExpression: 'balance = :seen',
      ExpressionAttributeValues: { ':seen': shard.balance, ':zero': 0, ':one': 1, ':change': transfer(-shard.balance, iso, id), ':at': iso },
    },
  }));
  return applied([homeMove(view.home.id, collected, transfer(collected, iso, id), leaseId ? [leaseHeld(leaseId)] : []), ...moves]);
}

/**
 * Spreads the account item's reserve over the open sub-balances in one transaction (top-ups and
 * grants land on the account item; this moves them where debits take from). False when the
 * account changed meanwhile (nothing moved).
 */
export async function spreadReserve(view: ShardedView, at: Date, leaseId?: string): Promise<boolean> {
  const n = view.home.shards ?? 1;
  if (n < 2 || view.home.balance <= 0) return true;
  const shares = spreadShares(view.home.balance, n);
  const moved = shares.reduce((sum, share) => sum + share, 0);
  if (moved === 0) return true;
  const id = randomId('xfer');
  const iso = at.toISOString();
  const items: TransactItem[] = [
    homeMove(view.home.id, -moved, transfer(-moved, iso, id), [
      { expression: '#shards = :n', names: { '#shards': 'shards' }, values: { ':n': n } },
      ...(leaseId ? [leaseHeld(leaseId)] : []),
    ]),
  ];
  shares.forEach((share, shard) => {
    if (share === 0) return;
    items.push({
      Update: {
        TableName: tableName(),
        Key: keys.balanceShard(view.home.id, shard),
        UpdateExpression: 'SET balance = balance + :share, seq = seq + :one, lastChange = :change, updatedAt = :at',
        ConditionExpression: '#open = :open',
        ExpressionAttributeNames: { '#open': 'open' },
        ExpressionAttributeValues: { ':share': share, ':one': 1, ':change': transfer(share, iso, id), ':at': iso, ':open': true },
      },
    });
  });
  return applied(items);
}

/**
 * Opens sub-balances 0..n-1 (creating the missing ones with a zero balance and the account's
 * active key ids) and sets the account's shard count, in one transaction conditioned on the key
 * set being the one copied and on the change's lease. n = 1 only sets the count back;
 * `closeShards` and `collectShards` empty the rest.
 */
export async function openShards(home: AccountItem, n: number, at: Date, leaseId: string): Promise<boolean> {
  const iso = at.toISOString();
  const versionCondition = home.keysVersion === undefined ? 'attribute_not_exists(keysVersion)' : 'keysVersion = :keysVersion';
  const lease = leaseHeld(leaseId);
  const homeUpdate: TransactItem = {
    Update: {
      TableName: tableName(),
      Key: keys.account(home.id),
      UpdateExpression: n > 1 ? 'SET #shards = :n, shardSlots = :slots, updatedAt = :at' : 'REMOVE #shards SET updatedAt = :at',
      ConditionExpression: `attribute_exists(pk) AND ${versionCondition} AND ${lease.expression}`,
      ExpressionAttributeNames: { '#shards': 'shards', ...lease.names },
      ExpressionAttributeValues: {
        ':at': iso,
        ...lease.values,
        ...(n > 1 ? { ':n': n, ':slots': Math.max(home.shardSlots ?? 0, n) } : {}),
        ...(home.keysVersion === undefined ? {} : { ':keysVersion': home.keysVersion }),
      },
    },
  };
  const activeKeys = Object.fromEntries(Object.keys(home.keys ?? {}).map((keyId) => [keyId, true]));
  const opens: TransactItem[] =
    n < 2
      ? []
      : Array.from({ length: n }, (_, shard) => ({
          Update: {
            TableName: tableName(),
            Key: keys.balanceShard(home.id, shard),
            UpdateExpression:
              'SET entity = :entity, accountId = :accountId, #shard = :shard, #open = :open, #keys = :keys, balance = if_not_exists(balance, :zero), seq = if_not_exists(seq, :zero), updatedAt = :at',
            ExpressionAttributeNames: { '#open': 'open', '#keys': 'keys', '#shard': 'shard' },
            ExpressionAttributeValues: {
              ':entity': 'shard',
              ':accountId': home.id,
              ':shard': shard,
              ':open': true,
              ':keys': activeKeys,
              ':zero': 0,
              ':at': iso,
            },
          },
        }));
  return applied([homeUpdate, ...opens]);
}

/**
 * Closes sub-balances: from then on no debit or spread lands on them (both require `open`), so
 * their balances stay still and `collectShards` can move them without racing debits. False when
 * `leaseId` is no longer the account's shard-change lease (nothing closed).
 */
export async function closeShards(accountId: string, shards: number[], at: Date, leaseId: string): Promise<boolean> {
  if (shards.length === 0) return true;
  const lease = leaseHeld(leaseId);
  const stillLeased: TransactItem = {
    ConditionCheck: {
      TableName: tableName(),
      Key: keys.account(accountId),
      ConditionExpression: lease.expression,
      ExpressionAttributeNames: lease.names,
      ExpressionAttributeValues: lease.values,
    },
  };
  return applied([
    stillLeased,
    ...shards.map(
      (shard): TransactItem => ({
        Update: {
          TableName: tableName(),
          Key: keys.balanceShard(accountId, shard),
          UpdateExpression: 'SET #open = :closed, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':closed': false, ':at': at.toISOString() },
        },
      }),
    ),
  ]);
}

/** Sends a transaction whose conditions guard against a concurrent change: false when one cancelled it. */
async function applied(items: TransactItem[]): Promise<boolean> {
  try {
    await documentClient().send(new TransactWriteCommand({ TransactItems: items }));
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException) return false;
    throw error;
  }
}

/** The key updates a key change on a sharded account adds to its transaction: every sub-balance item gets it too. */
export function shardKeyUpdates(accountId: string, slots: number, keyId: string, action: 'add' | 'remove'): TransactItem[] {
  return Array.from({ length: slots }, (_, shard) => ({
    Update: {
      TableName: tableName(),
      Key: keys.balanceShard(accountId, shard),
      UpdateExpression: action === 'add' ? 'SET #keys.#kid = :yes' : 'REMOVE #keys.#kid',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#keys': 'keys', '#kid': keyId },
      ExpressionAttributeValues: action === 'add' ? { ':yes': true } : undefined,
    },
  }));
}
