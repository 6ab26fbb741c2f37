import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, documentClient, tableName } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';
import type { EpisodeState } from './crossings.ts';

export async function episodeState(accountId: string, baselineSeq: number): Promise<EpisodeState | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.alertEpisode(accountId, baselineSeq), ConsistentRead: true }),
  );
  return Item as EpisodeState | undefined;
}

/** Records a sent threshold email; false when an equal or lower one was recorded meanwhile. */
export async function recordThresholdSent(accountId: string, baselineSeq: number, threshold: number, at: Date): Promise<boolean> {
  return conditionalUpdate(accountId, baselineSeq, 'SET sentLowest = :t, updatedAt = :at', 'attribute_not_exists(sentLowest) OR sentLowest > :t', {
    ':t': threshold,
    ':at': at.toISOString(),
  });
}

/** Records the depletion email (or, for `refusalSentAt`, the refused-debit email) of this episode; false when it was already recorded. */
export async function recordDepletionSent(
  accountId: string,
  baselineSeq: number,
  at: Date,
  field: 'depletionSentAt' | 'refusalSentAt' = 'depletionSentAt',
): Promise<boolean> {
  return conditionalUpdate(accountId, baselineSeq, `SET ${field} = :at`, `attribute_not_exists(${field})`, { ':at': at.toISOString() });
}

function conditionalUpdate(accountId: string, baselineSeq: number, update: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.alertEpisode(accountId, baselineSeq),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeValues: values,
    }),
  );
}
