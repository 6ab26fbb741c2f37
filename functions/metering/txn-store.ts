import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { conditionalWrite, documentClient, tableName, throttlePatient } from '../shared/dynamodb.ts';
import { RequestInProgressError } from '../shared/errors.ts';
import { keys } from '../table/keys.ts';
import { recordOf, type StoredResponse, type TxnItem, txnKey } from './txn.ts';

/** The txn record: on the account's partition key, or else where a sharded account's key-less charge keeps it. */
export async function findTxn(accountId: string, txnId: string): Promise<TxnItem | undefined> {
  for (const Key of [keys.txn(accountId, txnId), keys.spreadTxn(accountId, txnId)]) {
    const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key, ConsistentRead: true }));
    if (Item) return Item as TxnItem;
  }
  return undefined;
}

/**
 * Writes a keyed charge's record, `running`, before its debit: one `PutItem`. The record already there when this
 * key was seen before (a retry, a concurrent duplicate, a reused key), read from the refusal for free.
 */
export async function putRunningTxn(txn: TxnItem): Promise<TxnItem | undefined> {
  const put = new PutCommand({
    TableName: tableName(),
    Item: { ...txnKey(txn), entity: 'txn', ...recordOf(txn) },
    ConditionExpression: 'attribute_not_exists(pk)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  try {
    await throttlePatient(() => documentClient().send(put));
    return undefined;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Without the item (an emulator that does not return it), read it; gone meanwhile (removed as never debited): retry.
    const existing = error.Item ? (unmarshall(error.Item) as TxnItem) : await findTxn(txn.accountId, txn.id);
    if (!existing) throw new RequestInProgressError();
    return existing;
  }
}

/** A running charge whose debit was refused for credits: parked (a query) or refused (a debit), while it is still this attempt's. */
export function refuseRunningTxn(txn: TxnItem, refused: Pick<TxnItem, 'status' | 'resumableUntil' | 'updatedAt'>): Promise<boolean> {
  const sets = ['#status = :status', 'updatedAt = :at', ...(refused.resumableUntil ? ['resumableUntil = :until'] : [])];
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: txnKey(txn),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: '#status = :running AND updatedAt = :seen',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': refused.status,
        ':at': refused.updatedAt,
        ':running': 'running',
        ':seen': txn.updatedAt,
        ...(refused.resumableUntil ? { ':until': refused.resumableUntil } : {}),
      },
    }),
  );
}

/**
 * Removes a keyed charge's `running` record that was certainly never debited (its debit refused outright or never
 * sent, or found abandoned and never debited by the sweeper): nothing happened, and its key is free again.
 */
export function dropRunningTxn(txn: TxnItem): Promise<boolean> {
  return conditionalWrite(
    new DeleteCommand({
      TableName: tableName(),
      Key: txnKey(txn),
      // Not once a sharded charge's transaction has marked it debited meanwhile.
      ConditionExpression: '#status = :running AND updatedAt = :seen AND attribute_not_exists(debited)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':running': 'running', ':seen': txn.updatedAt },
    }),
  );
}

/** Records a txn that moves no credits (a parked query, a refused debit); returns the existing one on a race. */
export async function putUnchargedTxn(txn: TxnItem): Promise<TxnItem | undefined> {
  const put = new PutCommand({
    TableName: tableName(),
    Item: { ...txnKey(txn), entity: 'txn', ...txn },
    ConditionExpression: 'attribute_not_exists(pk)',
  });
  return (await conditionalWrite(put)) ? undefined : findTxn(txn.accountId, txn.id);
}

/** Marks a running txn completed and keeps the response for replays; false when it was settled already. */
export function completeTxn(txn: TxnItem, fields: { response: StoredResponse; at: Date }): Promise<boolean> {
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: txnKey(txn),
      UpdateExpression: 'SET #status = :completed, #response = :response, updatedAt = :at',
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
      ExpressionAttributeValues: { ':completed': 'completed', ':running': 'running', ':response': fields.response, ':at': fields.at.toISOString() },
    }),
  );
}

/**
 * Writes a key-less charge's record, completed with its answer: its first and only write, so it is
 * one `PutItem`. False when the record exists already: the sweeper refunded the charge first.
 */
export function recordCompletedTxn(txn: TxnItem, fields: { response: StoredResponse; at: Date }): Promise<boolean> {
  return conditionalWrite(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...txnKey(txn),
        entity: 'txn',
        ...recordOf(txn),
        status: 'completed',
        response: fields.response,
        updatedAt: fields.at.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

/** Keeps the answer given for a txn (a 402, a failure) so a retry with the same key gets it again. */
export async function saveResponse(txn: Pick<TxnItem, 'accountId' | 'id' | 'spread'>, response: StoredResponse): Promise<void> {
  const update = new UpdateCommand({
    TableName: tableName(),
    Key: txnKey(txn),
    UpdateExpression: 'SET #response = :response',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#response': 'response' },
    ExpressionAttributeValues: { ':response': response },
  });
  await throttlePatient(() => documentClient().send(update));
}

/**
 * Claims a running txn whose work was abandoned, as it was read: undefined when another retry claimed it first, or its
 * debit was taken meanwhile (a sharded account's transaction marks it `debited`).
 */
export async function claimAbandoned(txn: TxnItem, now: Date): Promise<TxnItem | undefined> {
  const claim = new UpdateCommand({
    TableName: tableName(),
    Key: txnKey(txn),
    UpdateExpression: 'SET updatedAt = :now',
    ConditionExpression: `#status = :running AND updatedAt = :seen AND ${txn.debited ? 'debited = :yes' : 'attribute_not_exists(debited)'}`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':running': 'running', ':seen': txn.updatedAt, ':now': now.toISOString(), ...(txn.debited ? { ':yes': true } : {}) },
  });
  return (await conditionalWrite(claim)) ? { ...txn, updatedAt: now.toISOString() } : undefined;
}
