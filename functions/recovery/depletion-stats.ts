import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountItem } from '../accounts/model.ts';
import { conditionalWrite, documentClient, queryItems, tableName } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';
import { type DepletionEpisode, decidedRange } from './social-proof.ts';

/** What the episode record (ALERTS#<baselineSeq>) remembers about running out. */
interface EpisodeDepletion {
  depletionStartedAt?: string;
  depletionPlan?: string;
}

/**
 * The first refusal of an episode starts a depletion sample for the account's plan. The start
 * is fixed once on the episode record, so a redelivered record writes the same sample again.
 */
export async function recordDepletionStart(account: Pick<AccountItem, 'id' | 'plan' | 'baselineSeq'>, at: string): Promise<void> {
  const key = keys.alertEpisode(account.id, account.baselineSeq ?? 0);
  await conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: key,
      UpdateExpression: 'SET depletionStartedAt = :at, depletionPlan = :plan',
      ConditionExpression: 'attribute_not_exists(depletionStartedAt)',
      ExpressionAttributeValues: { ':at': at, ':plan': account.plan },
    }),
  );
  const episode = await readEpisode(key);
  if (!episode?.depletionStartedAt || !episode.depletionPlan) return;
  await conditionalWrite(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.depletionSample(episode.depletionPlan, episode.depletionStartedAt, account.id),
        entity: 'depletion',
        startedAt: episode.depletionStartedAt,
      },
      ConditionExpression: 'attribute_not_exists(recoveredAt)',
    }),
  );
}

/** A top-up ends the previous episode: if the customer had run out in it, the sample is marked recovered. */
export async function recordRecovery(accountId: string, endedBaselineSeq: number, at: string): Promise<void> {
  const episode = await readEpisode(keys.alertEpisode(accountId, endedBaselineSeq));
  if (!episode?.depletionStartedAt || !episode.depletionPlan) return;
  await conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.depletionSample(episode.depletionPlan, episode.depletionStartedAt, accountId),
      UpdateExpression: 'SET recoveredAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(recoveredAt)',
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}

async function readEpisode(key: { pk: string; sk: string }): Promise<EpisodeDepletion | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
  return Item as EpisodeDepletion | undefined;
}

/** Samples of a plan whose outcome is known (started 48 h to 32 days ago). */
export async function decidedEpisodes(plan: string, now: Date): Promise<DepletionEpisode[]> {
  const { from, to } = decidedRange(now);
  const { pk } = keys.depletionSample(plan, from, '');
  const episodes: DepletionEpisode[] = [];
  const samples = queryItems<DepletionEpisode>({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
    ProjectionExpression: 'startedAt, recoveredAt',
  });
  for await (const episode of samples) episodes.push(episode);
  return episodes;
}
