import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName } from '../shared/dynamodb.ts';
import { FUNNEL_EPISODE_PREFIX, keys } from '../table/keys.ts';
import { applyFact, counterDeltas, dayOf, type FunnelEpisode, type FunnelFact, groupKey, groupsOf, newStages, type Stage } from './episode.ts';
import type { EpisodeRef } from './events.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Attempts when another writer changed the same episode between our read and our write. */
const MAX_ATTEMPTS = 6;

export async function readEpisode(accountId: string, seq: number): Promise<FunnelEpisode | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.funnelEpisode(accountId, seq), ConsistentRead: true }));
  return Item ? strip(Item) : undefined;
}

/** The latest episode whose wall came at or before `at` (still open at `at`, when asked). */
async function episodeBefore(accountId: string, at: string, open: boolean): Promise<FunnelEpisode | undefined> {
  const { Items = [] } = await documentClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.account(accountId).pk, ':prefix': FUNNEL_EPISODE_PREFIX },
      ScanIndexForward: false,
      Limit: 4,
      ConsistentRead: true,
    }),
  );
  const episode = Items.map(strip).find((candidate) => candidate.wallAt !== undefined && candidate.wallAt <= at);
  if (!episode || (open && episode.endedAt !== undefined && episode.endedAt <= at)) return undefined;
  return episode;
}

/** The episode a reference names, as stored (or an empty one to start, for a reference by alert episode). */
export async function resolveEpisode(accountId: string, ref: EpisodeRef): Promise<FunnelEpisode | undefined> {
  if ('seq' in ref) return (await readEpisode(accountId, ref.seq)) ?? { accountId, seq: ref.seq, version: 0 };
  return episodeBefore(accountId, ref.wallBefore, ref.open);
}

/**
 * Applies facts to an episode and adds what they change to the per-day counters, in one
 * transaction conditioned on the episode's version: each count is added exactly once however
 * often a fact arrives, and two writers racing on one episode retry from a fresh read.
 * Returns the stages newly reached (empty when nothing changed).
 */
export async function recordFacts(start: FunnelEpisode, facts: readonly FunnelFact[]): Promise<{ stages: Stage[]; episode: FunnelEpisode }> {
  let before: FunnelEpisode = start;
  for (let attempt = 1; ; attempt++) {
    let after = before;
    for (const fact of facts) after = applyFact(after, fact) ?? after;
    if (after === before) return { stages: [], episode: before };
    try {
      await documentClient().send(new TransactWriteCommand({ TransactItems: writes(before, after) }));
      return { stages: newStages(before, after), episode: after };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || attempt >= MAX_ATTEMPTS) throw error;
      before = (await readEpisode(start.accountId, start.seq)) ?? { accountId: start.accountId, seq: start.seq, version: 0 };
    }
  }
}

function writes(before: FunnelEpisode, after: FunnelEpisode): TransactItem[] {
  const stored = before.version > 0;
  const items: TransactItem[] = [
    {
      Put: {
        TableName: tableName(),
        Item: { ...keys.funnelEpisode(after.accountId, after.seq), entity: 'funnelEpisode', ...after, version: before.version + 1 },
        ConditionExpression: stored ? 'version = :version' : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: stored ? { ':version': before.version } : undefined,
      },
    },
  ];
  if (after.wallAt) {
    items.push({
      Put: {
        TableName: tableName(),
        Item: {
          ...keys.funnelWall(dayOf(after.wallAt), after.wallAt, after.accountId, after.seq),
          entity: 'funnelWall',
          wallAt: after.wallAt,
          paidAt: after.paidAt,
          groups: groupsOf(after).map(groupKey),
        },
      },
    });
  }
  for (const delta of counterDeltas(before.version > 0 ? before : undefined, after)) {
    const entries = Object.entries(delta.add);
    items.push({
      Update: {
        TableName: tableName(),
        Key: keys.funnelCounter(delta.group.dimension, delta.day, delta.group.value),
        UpdateExpression: `SET #day = :day, #value = :value ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
        ExpressionAttributeNames: { '#day': 'day', '#value': 'value', ...Object.fromEntries(entries.map(([name], i) => [`#c${i}`, name])) },
        ExpressionAttributeValues: { ':day': delta.day, ':value': delta.group.value, ...Object.fromEntries(entries.map(([, value], i) => [`:c${i}`, value])) },
      },
    });
  }
  return items;
}

/**
 * A checkout's amount and the episode its top-up ended meet on one item, whichever side comes
 * first (the payment record and the balance change travel on different stream shards). Each side
 * writes its half and reads the whole; the second sees both.
 */
export async function meetPayment(accountId: string, txnId: string, half: { seq: number } | { amount: number; currency: string }) {
  const [update, values] =
    'seq' in half
      ? ['SET #seq = :seq', { ':seq': half.seq }]
      : ['SET amount = :amount, currency = :currency', { ':amount': half.amount, ':currency': half.currency }];
  const { Attributes } = await documentClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.funnelPayment(accountId, txnId),
      UpdateExpression: `${update}, entity = :entity`,
      ExpressionAttributeNames: 'seq' in half ? { '#seq': 'seq' } : undefined,
      ExpressionAttributeValues: { ...values, ':entity': 'funnelPayment' },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return Attributes as { seq?: number; amount?: number; currency?: string } | undefined;
}

function strip(item: Record<string, unknown>): FunnelEpisode {
  const { pk: _pk, sk: _sk, entity: _entity, ...episode } = item;
  return episode as unknown as FunnelEpisode;
}
