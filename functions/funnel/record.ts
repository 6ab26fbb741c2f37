import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { findAccount } from '../accounts/store.ts';
import { documentClient, tableName } from '../shared/dynamodb.ts';
import { logger } from '../shared/logger.ts';
import { metrics } from '../shared/metrics.ts';
import { FUNNEL_STAGE_METRICS } from '../shared/metrics-names.ts';
import { keys } from '../table/keys.ts';
import type { FunnelFact, Stage } from './episode.ts';
import { type FunnelSignal, funnelSignals, localeOf, type RecordImages } from './events.ts';
import { meetPayment, recordFacts, resolveEpisode } from './store.ts';

const image = (value: object | undefined) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

function imagesOf(record: DynamoDBRecord): RecordImages<DynamoDBRecord> {
  const dynamodb = record.dynamodb;
  return {
    record,
    eventName: record.eventName,
    keys: (image(dynamodb?.Keys) ?? {}) as { pk?: string; sk?: string },
    old: image(dynamodb?.OldImage),
    new: image(dynamodb?.NewImage),
  };
}

/**
 * The stream consumer's funnel step: records what a batch tells about depletion episodes (walls,
 * reminders, resumed queries, payments) and returns the first record of each account whose step
 * failed, for the batch's `batchItemFailures`. Every step is idempotent, so a redelivered or
 * bisected batch counts nothing twice.
 */
export async function recordFunnel(records: readonly DynamoDBRecord[]): Promise<DynamoDBRecord[]> {
  const byAccount = new Map<string, FunnelSignal<DynamoDBRecord>[]>();
  for (const signal of funnelSignals(records.map(imagesOf))) {
    byAccount.set(signal.accountId, [...(byAccount.get(signal.accountId) ?? []), signal]);
  }
  const failed = await Promise.all(
    [...byAccount.values()].map(async (signals) => {
      for (const signal of signals) {
        try {
          await applySignal(signal);
        } catch (error) {
          logger.error('funnel step failed; it will be retried', { error, accountId: signal.accountId });
          return signal.record;
        }
      }
      return undefined;
    }),
  );
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return failed.filter((record) => record !== undefined);
}

async function applySignal(signal: FunnelSignal<DynamoDBRecord>): Promise<void> {
  switch (signal.kind) {
    case 'wall': {
      const locale = localeOf(await findAccount(signal.accountId));
      const fact: FunnelFact = { kind: 'wall', at: signal.at, plan: signal.plan, locale, variant: signal.variant, warnedAt: signal.warnedAt };
      return record(signal.accountId, { seq: signal.seq }, [fact]);
    }
    case 'end': {
      // The wall may not have reached the funnel yet (its record follows on the stream): take it from the alert episode.
      const wall = await alertEpisodeWall(signal.accountId, signal.seq, signal.locale);
      if (!wall) return;
      const amount = signal.viaCheckout ? await meetPayment(signal.accountId, signal.txnId, { seq: signal.seq }) : undefined;
      const paid = amount?.amount !== undefined ? { amount: amount.amount, currency: amount.currency } : {};
      return record(signal.accountId, { seq: signal.seq }, [wall, { kind: 'end', at: signal.at, paid: signal.paid, txnId: signal.txnId, ...paid }]);
    }
    case 'action':
      return record(signal.accountId, signal.episode, [{ kind: 'action', stage: signal.stage, at: signal.at }]);
    case 'payment': {
      const met = await meetPayment(signal.accountId, signal.txnId, { amount: signal.amount, currency: signal.currency });
      if (met?.seq === undefined) return;
      return record(signal.accountId, { seq: met.seq }, [{ kind: 'amount', txnId: signal.txnId, amount: signal.amount, currency: signal.currency }]);
    }
  }
}

async function alertEpisodeWall(accountId: string, seq: number, locale: string | undefined): Promise<FunnelFact | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.alertEpisode(accountId, seq), ConsistentRead: true }));
  if (!Item?.depletionStartedAt || !Item.depletionPlan) return undefined;
  const warnedAt = Item.sentLowest !== undefined ? (Item.updatedAt ?? Item.depletionStartedAt) : undefined;
  return { kind: 'wall', at: Item.depletionStartedAt, plan: Item.depletionPlan, locale, variant: Item.copyVariant, warnedAt };
}

async function record(accountId: string, ref: Parameters<typeof resolveEpisode>[1], facts: FunnelFact[]): Promise<void> {
  const episode = await resolveEpisode(accountId, ref);
  if (!episode) return;
  const { stages } = await recordFacts(episode, facts);
  countStages(stages);
}

/** One EMF count per stage an episode newly reached. */
export function countStages(stages: readonly Stage[]): void {
  for (const stage of stages) metrics.addMetric(FUNNEL_STAGE_METRICS[stage], MetricUnit.Count, 1);
}

/**
 * A customer looked at their usage or started a checkout: recorded on the episode they are in,
 * if they hit the wall and have not paid since. Off the metered path; a failure is logged and
 * never fails the page (a lost view is a lost statistic, not a lost payment).
 */
export async function recordVisit(accountId: string, stage: 'usageViewed' | 'checkoutStarted', at: Date): Promise<void> {
  try {
    await record(accountId, { wallBefore: at.toISOString(), open: true }, [{ kind: 'action', stage, at: at.toISOString() }]);
  } catch (error) {
    logger.warn('funnel visit not recorded', { error, accountId, stage });
  }
}
