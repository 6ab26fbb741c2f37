import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { queryItems } from '../shared/dynamodb.ts';
import { metrics } from '../shared/metrics.ts';
import { RECOVERY_RATE_METRIC } from '../shared/metrics-names.ts';
import { keys } from '../table/keys.ts';
import { dayOf, LAPSE_WINDOW_MS, RECOVERY_WINDOW_MS } from './episode.ts';
import { countStages } from './record.ts';
import { buildReport } from './report.ts';
import { reportRows } from './report-store.ts';
import { readEpisode, recordFacts } from './store.ts';

const DAY_MS = 86_400_000;

/**
 * Marks every episode lapsed whose wall is 30 days old without a payment: it reads the wall
 * lists of the two days that can hold them, never all episodes. Idempotent (a lapse is a fact
 * set once), so a retried or doubled run changes nothing. Returns how many lapsed now.
 */
export async function recordLapses(now: Date): Promise<number> {
  let lapsed = 0;
  const deadline = new Date(now.getTime() - LAPSE_WINDOW_MS).toISOString();
  for (const day of [dayOf(new Date(now.getTime() - LAPSE_WINDOW_MS - DAY_MS).toISOString()), dayOf(deadline)]) {
    const walls = queryItems<{ sk: string; paidAt?: string }>({
      KeyConditionExpression: 'pk = :pk AND sk <= :deadline',
      ExpressionAttributeValues: { ':pk': keys.funnelWall(day, '', '', 0).pk, ':deadline': `${deadline}#\uffff` },
      ProjectionExpression: 'sk, paidAt',
    });
    for await (const wall of walls) {
      if (wall.paidAt) continue;
      const [, accountId = '', seq = ''] = wall.sk.split('#');
      const episode = await readEpisode(accountId, Number(seq));
      if (!episode) continue;
      const { stages } = await recordFacts(episode, [{ kind: 'lapsed', now: now.toISOString() }]);
      countStages(stages);
      if (stages.includes('lapsed')) lapsed++;
    }
  }
  return lapsed;
}

/**
 * The recovery rate of the latest day whose outcomes are all known (its last wall is 48 h old),
 * published as the EMF metric `RecoveryRate` (per cent); `null` when no episode of that day is decided.
 */
export async function publishDailyRecoveryRate(now: Date): Promise<{ day: string; rate: number | null }> {
  const day = dayOf(new Date(now.getTime() - RECOVERY_WINDOW_MS - DAY_MS).toISOString());
  const rows = await reportRows(day, day, 'none', now);
  const [all] = buildReport({ from: day, to: day, groupBy: 'none', now, ...rows }).groups;
  const rate = all?.recoveryRate ?? null;
  if (rate !== null) {
    metrics.addMetric(RECOVERY_RATE_METRIC, MetricUnit.Percent, rate * 100);
    metrics.addMetadata('wallDay', day);
  }
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { day, rate };
}
