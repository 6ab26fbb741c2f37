import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DigestFrequency } from '../accounts/model.ts';
import { conditionalWrite, documentClient, queryItems, tableName } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';
import type { DigestPeriodKind } from './period.ts';

const KINDS: DigestPeriodKind[] = ['weekly', 'monthly'];

/** Keeps the account on the work list of its digest frequency and off the other; idempotent. */
export async function syncDigestList(accountId: string, digest: DigestFrequency): Promise<void> {
  for (const kind of KINDS) {
    const key = keys.digestSubscriber(kind, accountId);
    if (kind === digest) await documentClient().send(new PutCommand({ TableName: tableName(), Item: { ...key, entity: 'digestSubscriber', accountId } }));
    else await documentClient().send(new DeleteCommand({ TableName: tableName(), Key: key }));
  }
}

/** The accounts on a frequency's work list. */
export async function* digestSubscribers(kind: DigestPeriodKind): AsyncGenerator<string> {
  const items = queryItems<{ sk: string }>({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.digestSubscriber(kind, '').pk },
    ProjectionExpression: 'sk',
  });
  for await (const item of items) yield item.sk;
}

/** Claims an account's digest of a period for one sender; false when it was claimed (or sent) before. */
export function claimDigest(accountId: string, periodId: string, at: Date): Promise<boolean> {
  return conditionalWrite(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.digestSent(accountId, periodId), entity: 'digest', status: 'sending', claimedAt: at.toISOString() },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function markDigestSent(accountId: string, periodId: string, messageId: string | undefined, at: Date): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.digestSent(accountId, periodId),
      UpdateExpression: 'SET #status = :sent, sentAt = :at, messageId = :id',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':at': at.toISOString(), ':id': messageId ?? '' },
    }),
  );
}

/** Gives a claim back after a failed send, so that a retried run sends it. */
export async function releaseDigest(accountId: string, periodId: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: tableName(), Key: keys.digestSent(accountId, periodId) }));
}
