import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readSharded, shardKeyUpdates, withTotal } from '../metering/shard-store.ts';
import { documentClient, tableName } from '../shared/dynamodb.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { keys } from '../table/keys.ts';
import { type AccountItem, MAX_ACTIVE_KEYS } from './model.ts';

/**
 * Creates the account. With an `externalId`, its lookup item is put in the same transaction on
 * the condition that none exists: of any number of concurrent creates with one id, one wins.
 */
export async function putNewAccount(account: AccountItem): Promise<void> {
  const accountPut = {
    TableName: tableName(),
    Item: { ...keys.account(account.id), entity: 'account', ...account },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  if (account.externalId === undefined) {
    await documentClient().send(new PutCommand(accountPut));
    return;
  }
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: accountPut },
          {
            Put: {
              TableName: tableName(),
              Item: { ...keys.externalId(account.externalId), entity: 'externalId', accountId: account.id, createdAt: account.createdAt },
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      }),
    );
  } catch (error) {
    const taken = error instanceof TransactionCanceledException ? error.CancellationReasons?.[1] : undefined;
    if (taken?.Code === 'ConditionalCheckFailed') {
      const owner = taken.Item?.accountId?.S;
      throw new ConflictError(`externalId "${account.externalId}" already belongs to account ${owner ? `"${owner}"` : 'another account'}.`);
    }
    throw error;
  }
}

/** The account a platform's own id names; the mapping never changes once written. */
export async function findAccountIdByExternalId(externalId: string): Promise<string | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.externalId(externalId), ConsistentRead: true }));
  return Item?.accountId as string | undefined;
}

/** The account item as stored (consistent): on a sharded account, `balance` is its reserve alone. */
export async function findAccountItem(accountId: string): Promise<AccountItem | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.account(accountId), ConsistentRead: true }));
  return Item as AccountItem | undefined;
}

/** The account; on a sharded account `balance` is the exact total of its item and sub-balances (one consistent snapshot). */
export async function findAccount(accountId: string): Promise<AccountItem | undefined> {
  const account = await findAccountItem(accountId);
  if (!account?.shardSlots) return account;
  const view = await readSharded(accountId, true, account.shardSlots);
  return view ? withTotal(view) : undefined;
}

export async function getAccount(accountId: string): Promise<AccountItem> {
  const account = await findAccount(accountId);
  if (!account) throw new NotFoundError(`There is no account "${accountId}".`);
  return account;
}

export interface KeyOwner {
  accountId: string;
  keyId: string;
}

export async function findKeyOwner(keyHash: string): Promise<KeyOwner | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.apiKey(keyHash), ConsistentRead: true }));
  return Item ? { accountId: Item.accountId, keyId: Item.keyId } : undefined;
}

/** Adds a key to the account and its hash → owner lookup item, atomically. */
export async function addKey(accountId: string, keyId: string, ref: { name?: string; hash: string; createdAt: string }): Promise<void> {
  // A sharded account's sub-balances carry the active key ids too (their debits check them).
  const slots = await shardSlotsOf(accountId);
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.account(accountId),
              UpdateExpression: 'SET #keys.#kid = :ref, keysVersion = if_not_exists(keysVersion, :zero) + :one',
              ConditionExpression: `attribute_exists(pk) AND size(#keys) < :max AND ${slotsCondition(slots)}`,
              ExpressionAttributeNames: { '#keys': 'keys', '#kid': keyId },
              ExpressionAttributeValues: { ':ref': ref, ':max': MAX_ACTIVE_KEYS, ':zero': 0, ':one': 1, ...(slots ? { ':slots': slots } : {}) },
            },
          },
          ...shardKeyUpdates(accountId, slots, keyId, 'add'),
          {
            Put: {
              TableName: tableName(),
              Item: { ...keys.apiKey(ref.hash), entity: 'apiKey', accountId, keyId, createdAt: ref.createdAt },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
      const account = await getAccount(accountId);
      if ((account.shardSlots ?? 0) !== slots) return addKey(accountId, keyId, ref);
      throw new ConflictError(`Account "${account.id}" already has ${MAX_ACTIVE_KEYS} active keys. Revoke one before creating another.`);
    }
    throw error;
  }
}

/** Removes the key from the account (which stops it at once) and deletes its lookup item. */
export async function removeKey(accountId: string, keyId: string): Promise<void> {
  const account = await getAccount(accountId);
  const ref = account.keys[keyId];
  if (!ref) throw new NotFoundError(`Account "${accountId}" has no active key "${keyId}".`);
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.account(accountId),
              UpdateExpression: 'REMOVE #keys.#kid SET keysVersion = if_not_exists(keysVersion, :zero) + :one',
              ConditionExpression: `attribute_exists(#keys.#kid) AND ${slotsCondition(account.shardSlots ?? 0)}`,
              ExpressionAttributeNames: { '#keys': 'keys', '#kid': keyId },
              ExpressionAttributeValues: { ':zero': 0, ':one': 1, ...(account.shardSlots ? { ':slots': account.shardSlots } : {}) },
            },
          },
          ...shardKeyUpdates(accountId, account.shardSlots ?? 0, keyId, 'remove'),
          { Delete: { TableName: tableName(), Key: keys.apiKey(ref.hash) } },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException || error instanceof ConditionalCheckFailedException) {
      // Sub-balances were opened meanwhile: revoke on them too.
      if (((await findAccount(accountId))?.shardSlots ?? 0) !== (account.shardSlots ?? 0)) return removeKey(accountId, keyId);
      throw new NotFoundError(`Account "${accountId}" has no active key "${keyId}".`);
    }
    throw error;
  }
}

/** How many sub-balance items the account has (0 when never sharded); a key change's transaction covers them all. */
async function shardSlotsOf(accountId: string): Promise<number> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.account(accountId), ConsistentRead: true, ProjectionExpression: 'shardSlots' }),
  );
  return (Item?.shardSlots as number | undefined) ?? 0;
}

/** The key change applies only to the sub-balances it covers: none opened since they were counted. */
const slotsCondition = (slots: number) => (slots ? 'shardSlots = :slots' : 'attribute_not_exists(shardSlots)');

/** Changes the plan and/or the auto-resume setting. */
export async function updateSettings(accountId: string, settings: { plan?: string; autoResume?: boolean; locale?: string }, at: Date): Promise<AccountItem> {
  const entries = Object.entries(settings).filter(([, value]) => value !== undefined);
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.account(accountId),
        UpdateExpression: `SET ${entries.map(([name]) => `#${name} = :${name}`).join(', ')}, updatedAt = :at`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([name]) => [`#${name}`, name])),
        ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([name, value]) => [`:${name}`, value])), ':at': at.toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as AccountItem;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new NotFoundError(`There is no account "${accountId}".`);
    throw error;
  }
}
