import { systemClock } from '../shared/clock.ts';
import { logger, withLogsWritten } from '../shared/logger.ts';
import { publishDailyRecoveryRate, recordLapses } from './daily.ts';

/** The daily funnel job: lapses, then the recovery rate of the latest decided day. */
export async function runFunnelDaily(now: Date): Promise<{ lapsed: number; day: string; rate: number | null }> {
  const lapsed = await recordLapses(now);
  const { day, rate } = await publishDailyRecoveryRate(now);
  logger.info('daily funnel job finished', { lapsed, day, rate });
  return { lapsed, day, rate };
}

/** Run by EventBridge Scheduler on AWS and by the local stack's scheduler locally. */
export const handler = withLogsWritten(() => runFunnelDaily(systemClock.now()));
